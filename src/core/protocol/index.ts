export * from './report';
export * from './lsp';
export * from './panel';
