export * from './client';
export * from './env';
export * from './errors';
export * from './kernel';
