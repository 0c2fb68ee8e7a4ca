/**
 * The detector's pass policy (issue 14): which SSD passes after the whole-image
 * one can still add a face. Pure function, no models; the real-photo side is in
 * face-detection.test.ts ("detector passes").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tileRegions } from '../../src/vision/detector-regions.js';
import { CONFIDENT_SCORE, planExtraPasses } from '../../src/vision/detector-pass-policy.js';
import type { Detection } from '../../src/vision/types.js';

const portrait = { width: 250, height: 250 };
const small = { minFaceSize: 30, tileSize: 768 };
const face = (x: number, y: number, size: number, score: number): Detection => ({ box: { x, y, width: size, height: size * 1.2 }, score });

describe('planExtraPasses: the padded canvas', () => {
  it('is skipped when the whole image shows one confident face well inside the frame', () => {
    assert.deepEqual(planExtraPasses([face(80, 70, 100, 0.99)], portrait, small), { canvas: false, tiles: [] });
  });

  it('runs when nothing is found, or nothing confidently', () => {
    assert.equal(planExtraPasses([], portrait, small).canvas, true);
    assert.equal(planExtraPasses([face(80, 70, 100, CONFIDENT_SCORE - 0.01)], portrait, small).canvas, true);
    assert.equal(planExtraPasses([face(80, 70, 100, CONFIDENT_SCORE)], portrait, small).canvas, false);
  });

  it('runs when the only confident face is smaller than the smallest face kept', () => {
    assert.equal(planExtraPasses([face(80, 70, 25, 0.99)], portrait, small).canvas, true);
  });

  it('runs when a weak candidate beside a confident face may be a face the canvas finds', () => {
    // Colin_Powell_0010: two bystanders the whole pass scores ~0.1, found by the canvas at ~0.8.
    assert.equal(planExtraPasses([face(85, 76, 97, 0.999), face(195, 98, 42, 0.104)], portrait, small).canvas, true);
  });

  it('runs when a face comes near the edge (cut by it) or fills the frame', () => {
    assert.equal(planExtraPasses([face(2, 70, 100, 0.99)], portrait, small).canvas, true);
    assert.equal(planExtraPasses([face(140, 70, 105, 0.99)], portrait, small).canvas, true, 'right edge at 245 of 250');
    assert.equal(planExtraPasses([face(20, 10, 190, 0.99)], portrait, small).canvas, true, 'spans 0.76 of the frame');
  });
});

describe('planExtraPasses: tiles', () => {
  const group = { width: 1920, height: 1280 };

  it('tiles a photo larger than a tile when its faces may be too small for the whole-image pass', () => {
    const plan = planExtraPasses([face(800, 400, 180, 0.99)], group, small);
    assert.deepEqual(plan.tiles, tileRegions(group, 768).slice(1));
    assert.equal(plan.tiles.length, 6);
  });

  it('does not tile when the smallest face kept is within the whole-image pass reach (20 px at 512: 75 px here)', () => {
    assert.deepEqual(planExtraPasses([face(800, 400, 180, 0.99)], group, { minFaceSize: 75, tileSize: 768 }).tiles, []);
    assert.equal(planExtraPasses([face(800, 400, 180, 0.99)], group, { minFaceSize: 74, tileSize: 768 }).tiles.length, 6);
  });

  it('does not tile a photo no larger than a tile, nor with tiling off', () => {
    assert.deepEqual(planExtraPasses([], { width: 768, height: 500 }, small).tiles, []);
    assert.deepEqual(planExtraPasses([], group, { minFaceSize: 30, tileSize: 0 }).tiles, []);
  });

  it('skips a tile that lies wholly inside a face already found', () => {
    const huge: Detection = { box: { x: -10, y: -10, width: 900, height: 900 }, score: 0.99 };
    const plan = planExtraPasses([huge], group, small);
    assert.equal(plan.tiles.length, 5);
    assert.ok(!plan.tiles.some((t) => t.x === 0 && t.y === 0));
  });
});
