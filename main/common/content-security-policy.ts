// The renderer's Content-Security-Policy, in the Electron app and the web shell alike: only
// Hearth's own files (no inline scripts or styles, no eval, no plugins, no framing, no forms),
// images also as data: URLs for pasted content, and calls only to its own origin.
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-src 'none'; frame-ancestors 'none'; form-action 'none'";

