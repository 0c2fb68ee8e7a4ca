import { readFileSync } from 'node:fs';

/** The arithmetic one network runs in. */
export type EnginePrecision = 'fp32' | 'int8';
/** What may be asked for (`FACEGRAPH_PRECISION`): `auto` picks int8 only where the CPU runs it fast, and only where it pays without changing results. */
export type PrecisionSetting = EnginePrecision | 'auto';
/** The arithmetic of the two networks that have an int8 version; the landmark net is always float32. */
export interface NetworkPrecisions {
  detector: EnginePrecision;
  recognition: EnginePrecision;
}

/**
 * CPU features that make ONNX Runtime's QLinearConv faster than float: VNNI
 * (vpdpbusd, one instruction per four u8 x s8 products, accumulated in int32
 * without the int16 saturation of plain AVX2's vpmaddubsw) or AMX int8 tiles.
 * Without them int8 gains little and can lose accuracy to that saturation.
 */
const FAST_INT8_FLAGS = ['avx512_vnni', 'avx_vnni', 'amx_int8'];

/**
 * Whether a Linux `/proc/cpuinfo` text lists a fast-int8 flag on its (first)
 * `flags` line. Pure, so that the rule can be tested on any machine.
 */
export function cpuHasFastInt8(cpuinfo: string): boolean {
  const line = /^flags\s*:(.*)$/m.exec(cpuinfo);
  if (!line) return false;
  const flags = new Set(line[1].trim().split(/\s+/));
  return FAST_INT8_FLAGS.some((f) => flags.has(f));
}

/** `/proc/cpuinfo`, or undefined off Linux or when it cannot be read (a sandbox, say). */
export function readCpuInfo(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Each network's precision: `int8` and `fp32` as asked, for both. `auto` (the
 * default) runs both in int8 where `cpuinfo` shows VNNI or AMX int8, and
 * everything in fp32 without those flags or when they are unknown. The int8
 * recogniser's descriptors lie within cosine distance 0.0003 of float32's;
 * the int8 detector's boxes move a few pixels, which can change the face
 * check's verdict on a box it reads as doubtful, so the pipeline runs the pass
 * that found such a box again in float32 (`wantsFloat32Box` in face-check.ts):
 * what is kept as a face is decided on float32's boxes wherever the check is in doubt.
 */
export function resolvePrecision(setting: PrecisionSetting, cpuinfo: string | undefined): NetworkPrecisions {
  if (setting !== 'auto') return { detector: setting, recognition: setting };
  const fast = cpuinfo !== undefined && cpuHasFastInt8(cpuinfo);
  const precision = fast ? 'int8' : 'fp32';
  return { detector: precision, recognition: precision };
}

/** One word for reports: `fp32`, `int8`, or each network's where they differ (`detector-fp32+recognition-int8`). */
export function describePrecision(p: NetworkPrecisions): string {
  return p.detector === p.recognition ? p.detector : `detector-${p.detector}+recognition-${p.recognition}`;
}

/** A single precision means both networks. */
export function networkPrecisions(p: EnginePrecision | NetworkPrecisions | undefined): NetworkPrecisions {
  if (p === undefined) return { detector: 'fp32', recognition: 'fp32' };
  return typeof p === 'string' ? { detector: p, recognition: p } : p;
}
