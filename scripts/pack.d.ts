/** What `npm pack --json` says of the tarball it made (the fields this repository reads). */
export interface PackManifest {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
}

/** `npm pack` of this checkout's lib/ into a temporary directory removed when the process exits. */
export function packThisCheckout(): Promise<{ tarball: string; manifest: PackManifest }>;
