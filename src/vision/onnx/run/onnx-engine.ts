import type { InferenceSession, OnnxValue, Tensor } from 'onnxruntime-node';
import { clipBox, NO_GENDER_EVIDENCE } from '../../tfjs-engine.js';
import type { Box, Detection, DetectOptions, FaceEngine, Point, RgbImage, WarmUpInputs } from '../../types.js';
import { MALE_INDEX } from '../convert/age-gender-net-graph.js';
import { convertFaceApiModels } from '../convert/convert-face-api.js';
import { type EngineProfile, emptyProfile, type NetworkProfile } from './engine-profile.js';
import { networkPrecisions, type NetworkPrecisions } from './int8-support.js';
import { landmarksToImage } from './landmark-postprocess.js';
import { verifyModelManifest } from '../convert/model-manifest.js';
import { writeNetworkInput, writeNetworkInputUint8 } from './network-input.js';
import { NETWORK_SPECS, type NetworkSpec, SSD_IOU_THRESHOLD } from '../network-specs.js';
import { defaultThreads, sessionOptions, type OnnxEngineConfig } from './onnx-engine-config.js';
import { anchorLayout, SSD_BASE_INPUT, ssdAnchors } from './ssd-anchors.js';
import { decodeSsdOutput, nonMaxSuppression, toDetections } from './ssd-postprocess.js';

type Ort = typeof import('onnxruntime-node');

interface Networks {
  ort: Ort;
  detector: InferenceSession;
  /** The float32 detector beside an int8 one, for `float32` detects (see `DetectOptions.float32`). */
  float32Detector?: InferenceSession;
  landmarks: InferenceSession;
  recognition: InferenceSession;
  /** The age/gender net's gender head. */
  gender: InferenceSession;
  /** SSD anchors by input shape (`WxH`): face-api's own at 512, the others made from their layout (ssd-anchors.ts). */
  anchors: Map<string, Float32Array>;
  anchorLayout: ReturnType<typeof anchorLayout>;
}

/** face-api's defaults when SsdMobilenetv1Options gets a falsy value. */
const FACE_API_DEFAULT_MIN_SCORE = 0.5;
const FACE_API_DEFAULT_MAX_RESULTS = 100;
const DESCRIPTOR_SIZE = 128;
/** The gender head's outputs per face: P(male), P(female). */
const GENDER_CLASSES = 2;
/** Detector input sides other than 512 are multiples of this (see ssd-anchors.ts), up to {@link MAX_DETECTOR_INPUT}. */
const DETECTOR_INPUT_STEP = 64;
const MAX_DETECTOR_INPUT = 2048;

/**
 * face-api's networks on ONNX Runtime's native CPU kernels: the same
 * weights and the same preprocessing as {@link TfjsEngine}, bit for bit up to
 * the network itself, so results differ from the reference only by float
 * summation order. About an order of magnitude faster than tfjs-wasm, and it
 * uses several cores.
 *
 * All faces of a photo go through each of the landmark, recognition and
 * age/gender nets in one batch. The models are converted from the tfjs
 * weights in memory on {@link load}, after checking the committed manifest.
 *
 * With `precision: 'int8'` the detector and the recogniser are the quantized
 * graphs (`ssd-mobilenet-int8-graph.ts`, `recognition-net-int8-graph.ts`),
 * each 2-3x faster on CPUs with VNNI: boxes within a few percent of float32's,
 * descriptors within cosine distance 0.001 of float32's; landmarks stay float32.
 */
export class OnnxEngine implements FaceEngine {
  readonly name = 'onnx';
  /** The detector's and the recogniser's arithmetic (see {@link OnnxEngineConfig.precision}); the landmark net is always float32. */
  readonly precision: NetworkPrecisions;
  readonly approximateDetector: boolean;
  /** `detect` runs the SSD at any `DetectOptions.inputSize` (its graphs take any input shape). */
  readonly scalableDetector = true;
  private networks: Networks | undefined;
  private loading: Promise<Networks> | undefined;
  private stats = emptyProfile();

  constructor(private readonly config: OnnxEngineConfig = {}) {
    this.precision = networkPrecisions(config.precision);
    this.approximateDetector = this.precision.detector === 'int8';
  }

  async load(): Promise<void> {
    await this.ready();
  }

  private ready(): Promise<Networks> {
    if (this.networks) return Promise.resolve(this.networks);
    if (!this.loading) {
      this.loading = this.open().then(
        (nets) => (this.networks = nets),
        (err: unknown) => {
          // A failed load (a manifest mismatch, say) is reported to every caller, not cached.
          this.loading = undefined;
          throw err;
        },
      );
    }
    return this.loading;
  }

  private async open(): Promise<Networks> {
    const models = await convertFaceApiModels(this.config.modelDir, this.precision);
    await verifyModelManifest(models.manifest, this.config.manifestPath);
    // Loaded here, not at import: the native runtime is only needed once a photo is analysed.
    const ort = await import('onnxruntime-node');
    const options = sessionOptions(this.config.threads ?? defaultThreads());
    const [detector, landmarks, recognition, gender, float32Detector] = await Promise.all([
      ort.InferenceSession.create(models.detector, options),
      ort.InferenceSession.create(models.landmarks, options),
      ort.InferenceSession.create(models.recognition, options),
      ort.InferenceSession.create(models.gender, options),
      // Opened with the others, not on first use: building it takes ~1 s, which would land on some photo's latency.
      models.float32Detector && ort.InferenceSession.create(models.float32Detector, options),
    ]);
    const anchors = new Map([[`${SSD_BASE_INPUT}x${SSD_BASE_INPUT}`, models.anchors]]);
    return { ort, detector, landmarks, recognition, gender, float32Detector, anchors, anchorLayout: anchorLayout(models.anchors) };
  }

  /**
   * Each session run once at the largest inputs given, on a grey image, so
   * that ONNX Runtime's arena holds the buffers a photo needs before the first
   * photo (without a memory pattern, smaller inputs reuse them); a cold first
   * photo is slower (docs/benchmarks.md, Earlier speed decisions). The profile starts again afterwards.
   */
  async warmUp(largest: WarmUpInputs): Promise<void> {
    await this.ready();
    const side = Math.max(SSD_BASE_INPUT, ...largest.detector.map((s) => Math.max(s.width, s.height)));
    const image: RgbImage = { width: side, height: side, data: new Uint8Array(side * side * 3).fill(128) };
    for (const inputSize of largest.detector) await this.detect(image, { minScore: 0.5, maxFaces: 1, inputSize });
    if (this.approximateDetector) await this.detect(image, { minScore: 0.5, maxFaces: 1, float32: true });
    const boxes = (n: number) => Array.from({ length: n }, (_, i) => ({ x: (i * 7) % (side - 128), y: 0, width: 128, height: 128 }));
    await this.landmarks(image, boxes(largest.landmarks));
    await this.embed(image, boxes(largest.recognition));
    await this.gender(image, boxes(largest.gender));
    this.resetProfile();
  }

  async detect(image: RgbImage, options: DetectOptions): Promise<Detection[]> {
    const nets = await this.ready();
    const base = NETWORK_SPECS.detector.inputSize;
    const { width, height } = options.inputSize ?? { width: base, height: base };
    for (const side of [width, height]) {
      if (!Number.isInteger(side) || side % DETECTOR_INPUT_STEP !== 0 || side < DETECTOR_INPUT_STEP || side > MAX_DETECTOR_INPUT) {
        throw new RangeError(
          `detector input sides must be multiples of ${DETECTOR_INPUT_STEP} up to ${MAX_DETECTOR_INPUT}, got ${width} x ${height}`,
        );
      }
    }
    const spec = { ...NETWORK_SPECS.detector, inputSize: width, inputHeight: height };
    const stats = this.stats.detector;
    let t = performance.now();
    const whole = { x: 0, y: 0, width: image.width, height: image.height };
    const shape = [1, 3, height, width];
    const quantized = this.precision.detector === 'int8' && !options.float32;
    const session = quantized ? nets.detector : (nets.float32Detector ?? nets.detector);
    let input: Tensor;
    if (quantized) {
      // The int8 detector takes the resized pixels as uint8: 10-15 % less preparation time than float32 (network-input.ts).
      const data = new Uint8Array(3 * width * height);
      writeNetworkInputUint8(image, whole, spec, data, 0);
      input = new nets.ort.Tensor('uint8', data, shape);
    } else {
      const data = new Float32Array(3 * width * height);
      writeNetworkInput(image, whole, spec, data, 0);
      input = new nets.ort.Tensor('float32', data, shape);
    }
    t = lap(stats, 'prepareMs', t);
    const out = await session.run({ input });
    t = lap(stats, 'inferMs', t);
    const key = `${width}x${height}`;
    let anchors = nets.anchors.get(key);
    if (!anchors) nets.anchors.set(key, (anchors = ssdAnchors(nets.anchorLayout, width, height)));
    if (out.class_logits.dims[1] * 4 !== anchors.length) {
      throw new Error(`the detector gave ${out.class_logits.dims[1]} boxes at ${key}, its anchors are ${anchors.length / 4}`);
    }
    const decoded = decodeSsdOutput(floats(out.box_encodings), floats(out.class_logits), anchors);
    // SsdMobilenetv1Options: `minConfidence || 0.5`, `maxResults || 100`, as the reference engine gets them.
    const minScore = options.minScore || FACE_API_DEFAULT_MIN_SCORE;
    const maxFaces = options.maxFaces || FACE_API_DEFAULT_MAX_RESULTS;
    const kept = nonMaxSuppression(decoded, maxFaces, SSD_IOU_THRESHOLD, minScore);
    const detections = toDetections(decoded, kept, image, width, height);
    lap(stats, 'finishMs', t);
    stats.calls++;
    stats.items++;
    return detections;
  }

  async landmarks(image: RgbImage, boxes: Box[]): Promise<Point[][]> {
    if (boxes.length === 0) return [];
    const nets = await this.ready();
    const spec = NETWORK_SPECS.landmarks;
    const crops = boxes.map((b) => clipBox(b, image));
    const valid = crops.map((c) => c.width > 0 && c.height > 0);
    const output = await this.runBatch(nets, nets.landmarks, image, crops, valid, spec, this.stats.landmarks);
    const t = performance.now();
    let row = 0;
    const points = crops.map((crop, i) => {
      // A box wholly outside the image has no pixels to look at: its points collapse onto the clipped corner.
      if (!valid[i]) return Array.from({ length: 68 }, () => ({ x: crop.x, y: crop.y }));
      return landmarksToImage(output, 136 * row++, crop, spec.inputSize);
    });
    lap(this.stats.landmarks, 'finishMs', t);
    return points;
  }

  async embed(image: RgbImage, crops: Box[]): Promise<Float32Array[]> {
    if (crops.length === 0) return [];
    const nets = await this.ready();
    const spec = NETWORK_SPECS.recognition;
    const clipped = crops.map((b) => clipBox(b, image));
    const valid = clipped.map((c) => c.width > 0 && c.height > 0);
    const output = await this.runBatch(
      nets,
      nets.recognition,
      image,
      clipped,
      valid,
      spec,
      this.stats.recognition,
      this.precision.recognition === 'int8',
    );
    const t = performance.now();
    let row = 0;
    const descriptors = clipped.map((_, i) => {
      // face-api's computeFaceDescriptor answers an empty crop with a zero descriptor.
      if (!valid[i]) return new Float32Array(DESCRIPTOR_SIZE);
      const start = DESCRIPTOR_SIZE * row++;
      return output.slice(start, start + DESCRIPTOR_SIZE);
    });
    lap(this.stats.recognition, 'finishMs', t);
    return descriptors;
  }

  async gender(image: RgbImage, boxes: Box[]): Promise<number[]> {
    if (boxes.length === 0) return [];
    const nets = await this.ready();
    const crops = boxes.map((b) => clipBox(b, image));
    const valid = crops.map((c) => c.width > 0 && c.height > 0);
    const output = await this.runBatch(nets, nets.gender, image, crops, valid, NETWORK_SPECS.gender, this.stats.gender);
    let row = 0;
    return crops.map((_, i) => (valid[i] ? output[GENDER_CLASSES * row++ + MALE_INDEX] : NO_GENDER_EVIDENCE));
  }

  /**
   * One batched run of `session` over the valid crops; returns the flat output.
   * `uint8`: the network takes the resized pixels as uint8 (the int8 recogniser,
   * whose first conv holds the mean subtraction) instead of normalised float32.
   */
  private async runBatch(
    nets: Networks,
    session: InferenceSession,
    image: RgbImage,
    crops: Box[],
    valid: boolean[],
    spec: NetworkSpec,
    stats: NetworkProfile,
    uint8 = false,
  ): Promise<Float32Array> {
    const batch = valid.filter(Boolean).length;
    if (batch === 0) return new Float32Array(0);
    let t = performance.now();
    const per = 3 * spec.inputSize * spec.inputSize;
    const shape = [batch, 3, spec.inputSize, spec.inputSize];
    let input: Tensor;
    let n = 0;
    if (uint8) {
      const data = new Uint8Array(batch * per);
      crops.forEach((crop, i) => {
        if (valid[i]) writeNetworkInputUint8(image, crop, spec, data, per * n++);
      });
      input = new nets.ort.Tensor('uint8', data, shape);
    } else {
      const data = new Float32Array(batch * per);
      crops.forEach((crop, i) => {
        if (valid[i]) writeNetworkInput(image, crop, spec, data, per * n++);
      });
      input = tensor(nets.ort, data, batch, spec);
    }
    t = lap(stats, 'prepareMs', t);
    const out = await session.run({ input });
    lap(stats, 'inferMs', t);
    stats.calls++;
    stats.items += batch;
    return floats(out[session.outputNames[0]]);
  }

  /** Time spent per network since creation or {@link resetProfile}, split into TypeScript and ONNX Runtime. */
  profile(): EngineProfile {
    return structuredClone(this.stats);
  }

  resetProfile(): void {
    this.stats = emptyProfile();
  }

  async dispose(): Promise<void> {
    const nets = this.networks;
    this.networks = undefined;
    this.loading = undefined;
    if (!nets) return;
    await Promise.all([
      nets.detector.release(),
      nets.landmarks.release(),
      nets.recognition.release(),
      nets.gender.release(),
      nets.float32Detector?.release(),
    ]);
  }
}

/** Adds the time since `since` to `field` and returns now. */
function lap(stats: NetworkProfile, field: 'prepareMs' | 'inferMs' | 'finishMs', since: number): number {
  const now = performance.now();
  stats[field] += now - since;
  return now;
}

function tensor(ort: Ort, data: Float32Array, batch: number, spec: NetworkSpec): Tensor {
  return new ort.Tensor('float32', data, [batch, 3, spec.inputSize, spec.inputSize]);
}

function floats(value: OnnxValue | undefined): Float32Array {
  if (value?.type !== 'float32') throw new Error(`expected a float32 output, got ${value?.type}`);
  return value.data as Float32Array;
}
