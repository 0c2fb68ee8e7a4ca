import path from 'node:path';

/**
 * The labelled photo sets the tests, benchmarks and README examples use, kept in
 * the repository (source and licence in test/fixtures/datasets/README.md) so
 * that a fresh clone passes its own tests with nothing beside it.
 */
export const DATASETS = path.resolve(import.meta.dirname, '../fixtures/datasets');
export const LFW10_DIR = path.join(DATASETS, 'lfw10');
/** face-api's six 1920-px group photos, shipped inside its npm package. */
export const DEMO_DIR = path.resolve(import.meta.dirname, '../../node_modules/@vladmandic/face-api/demo');
