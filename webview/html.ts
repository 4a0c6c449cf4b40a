// The panel's HTML lives in src/core/protocol/panelHtml.ts (the extension host renders it and
// imports nothing from webview/); re-exported here for the webview test harness.
export { renderPanelHtml, type PanelHtmlOptions } from '../src/core/protocol/panelHtml';
