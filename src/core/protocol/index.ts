export * from './report';
export * from './lsp';
export * from './panel';
export * from './panelHtml';
export * from './view';
