export * from './runStore';
