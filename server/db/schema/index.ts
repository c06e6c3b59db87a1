export * from './organisations';
export * from './cases';
export * from './sessions';
export * from './audit';
export * from './attendance';
export * from './evidence';
export * from './agreements';
export * from './compensation';
