/**
 * Text profiles saved as UTF-16 (Windows tools, PowerShell's `>` redirection)
 * start with a byte order mark. The readers all read UTF-8 bytes, so such
 * input is transcoded once, before sniffing: every text reader then accepts
 * UTF-16 LE and BE with a BOM. (A UTF-8 BOM is skipped by the readers.)
 */

/** 'utf-16le' / 'utf-16be' when the bytes start with that byte order mark, else null. */
export function utf16Encoding(head: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return null;
}

/** The same text as UTF-8 bytes (without the BOM) when the input is UTF-16 with a BOM; otherwise the input itself. */
export function utf16ToUtf8(bytes: Uint8Array): Uint8Array {
  const encoding = utf16Encoding(bytes);
  if (!encoding) return bytes;
  // TextDecoder drops the BOM; an odd last byte becomes U+FFFD rather than an exception.
  return new TextEncoder().encode(new TextDecoder(encoding).decode(bytes));
}
