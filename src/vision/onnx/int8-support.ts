import { readFileSync } from 'node:fs';

/** The arithmetic the ONNX engine's detector runs in (`FACEGRAPH_PRECISION`, resolved). */
export type EnginePrecision = 'fp32' | 'int8';
/** What may be asked for: `auto` picks int8 only where the CPU runs it fast. */
export type PrecisionSetting = EnginePrecision | 'auto';

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
 * The precision to run: `int8` and `fp32` as asked; `auto` is int8 when
 * `cpuinfo` shows VNNI or AMX int8, and fp32 when it does not or is unknown.
 */
export function resolvePrecision(setting: PrecisionSetting, cpuinfo: string | undefined): EnginePrecision {
  if (setting !== 'auto') return setting;
  return cpuinfo !== undefined && cpuHasFastInt8(cpuinfo) ? 'int8' : 'fp32';
}
