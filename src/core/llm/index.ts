export * from './client';
export * from './errors';
export * from './extract';
export * from './prompts';
export * from './generate';
export * from './check';
