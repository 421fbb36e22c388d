// The entry point of the single-file bundle (the same as bin/kubectl-volume_doctor, without dist/).
import { installProcessHandlers, main } from '../../src/cli/main.js';

installProcessHandlers();
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
