// Node's macOS binaries are signed. Injecting the bundle would leave a signature that no longer matches, and
// codesign does not run here, so the signature is removed first, as `codesign --remove-signature` does. An
// unsigned x86_64 binary runs on macOS; an arm64 one would not, which is why darwin-arm64 ships the bundle.
const MH_MAGIC_64 = 0xfeedfacf;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const HEADER_SIZE = 32;

export function stripMachOSignature(input: Buffer): Buffer {
  if (input.readUInt32LE(0) !== MH_MAGIC_64) throw new Error('not a 64-bit little-endian Mach-O file (a universal binary?)');
  const ncmds = input.readUInt32LE(16);
  let offset = HEADER_SIZE;
  let linkedit = -1;
  let signature = -1;
  for (let i = 0; i < ncmds; i++) {
    const cmd = input.readUInt32LE(offset);
    if (cmd === LC_SEGMENT_64 && input.toString('latin1', offset + 8, offset + 24).replace(/\0+$/, '') === '__LINKEDIT') {
      linkedit = offset;
    }
    if (cmd === LC_CODE_SIGNATURE) {
      if (i !== ncmds - 1) throw new Error('the code signature is not the last load command');
      signature = offset;
    }
    offset += input.readUInt32LE(offset + 4);
  }
  if (signature < 0) return input;
  if (linkedit < 0) throw new Error('no __LINKEDIT segment');

  const out = Buffer.from(input);
  const cmdsize = out.readUInt32LE(signature + 4);
  const dataoff = out.readUInt32LE(signature + 8);
  const datasize = out.readUInt32LE(signature + 12);
  if (dataoff + datasize !== out.length) throw new Error('the code signature is not at the end of the file');
  out.fill(0, signature, signature + cmdsize);
  out.writeUInt32LE(ncmds - 1, 16);
  out.writeUInt32LE(out.readUInt32LE(20) - cmdsize, 20);
  const fileoff = Number(out.readBigUInt64LE(linkedit + 40));
  const filesize = BigInt(dataoff - fileoff);
  out.writeBigUInt64LE(filesize, linkedit + 48);
  out.writeBigUInt64LE((filesize + 0xfffn) & ~0xfffn, linkedit + 32);
  return out.subarray(0, dataoff);
}
