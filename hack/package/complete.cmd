@kubectl-volume_doctor.exe __complete %*
