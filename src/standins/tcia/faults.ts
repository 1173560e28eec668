/**
 * The TCIA stand-in's fault kinds (drawn by server/wire.ts): truncate/short apply only to image
 * downloads.
 */
export const FAULT_KINDS = ['429', '500', '503', 'reset', 'truncate', 'short'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const ZIP_ONLY: ReadonlySet<FaultKind> = new Set(['truncate', 'short']);

/** Apache httpd's 503 page, as a proxy in front of a busy or restarting server sends it. */
export const SERVICE_UNAVAILABLE_HTML = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>503 Service Unavailable</title>
</head><body>
<h1>Service Unavailable</h1>
<p>The server is temporarily unable to service your
request due to maintenance downtime or capacity
problems. Please try again later.</p>
</body></html>
`;
