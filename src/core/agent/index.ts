export * from './loop';
