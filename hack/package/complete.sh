#!/bin/sh
# kubectl (1.26+) runs this to complete `kubectl volume-doctor ...`; the plugin answers __complete.
exec kubectl-volume_doctor __complete "$@"
