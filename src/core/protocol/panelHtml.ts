// The panel's HTML document (moved here from webview/html.ts so the extension imports nothing from
// webview/). No `vscode` import: the extension calls this from its
// WebviewViewProvider (with asWebviewUri URIs, localResourceRoots = media/), the browser tests call
// it from a loopback server.
//
// CSP: scripts only by nonce, styles/fonts/images only from the webview's own resource origin. No
// inline styles anywhere: chart.js sizes its canvas through the CSSOM (element.style.x = …), which
// CSP does not govern, so `style-src ${cspSource}` without 'unsafe-inline' is enough (the browser
// tests load this exact document and fail on any securitypolicyviolation).

export interface PanelHtmlOptions {
  /** `webview.cspSource` */
  cspSource: string;
  /** Fresh random nonce per document (base64 or hex). */
  nonce: string;
  /** URI of media/panel.js as the webview can load it. */
  scriptUri: string;
  /** URI of media/panel.css as the webview can load it. */
  styleUri: string;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderPanelHtml({ cspSource, nonce, scriptUri, styleUri }: PanelHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${escapeAttr(styleUri)}">
<title>Tritonize</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="muted">Loading…</p></main>
<script nonce="${escapeAttr(nonce)}" src="${escapeAttr(scriptUri)}"></script>
</body>
</html>
`;
}
