import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FACE_API_MODEL_DIR } from '../../tfjs-engine.js';
import { buildAgeGenderNetGraph } from './age-gender-net-graph.js';
import { buildLandmarkNetGraph } from './landmark-net-graph.js';
import { describeModels, type ModelManifest } from './model-manifest.js';
import { NETWORK_SPECS, SSD_ANCHORS_WEIGHT } from '../network-specs.js';
import { buildRecognitionNetGraph } from './recognition-net-graph.js';
import { buildRecognitionNetInt8Graph, loadRecognitionCalibration } from './recognition-net-int8-graph.js';
import type { NetworkPrecisions } from '../run/int8-support.js';
import { buildSsdMobilenetInt8Graph } from './ssd-mobilenet-int8-graph.js';
import { buildSsdMobilenetGraph } from './ssd-mobilenet-graph.js';
import { loadTfjsWeights } from './tfjs-weights.js';

/** The networks as serialised ONNX models, plus what the TypeScript side of the detector needs. */
export interface FaceApiOnnxModels {
  detector: Uint8Array;
  /** With an int8 detector, the float32 one beside it, for boxes the face check doubts (`DetectOptions.float32`). */
  float32Detector?: Uint8Array;
  landmarks: Uint8Array;
  recognition: Uint8Array;
  /** The age/gender net's gender head: [N, 2] probabilities (age-gender-net-graph.ts). */
  gender: Uint8Array;
  /** SSD anchors [5118 x (ymin, xmin, ymax, xmax)], relative to the 512 x 512 input. */
  anchors: Float32Array;
  /** What these models were built from, to compare with the committed manifest. */
  manifest: ModelManifest;
}

/**
 * Converts the tfjs weights shipped inside `@vladmandic/face-api` to ONNX
 * graphs, in memory (12 million weights, 45 MB as float32: about a second).
 * Building at start-up rather than shipping .onnx files means there is no
 * generated artifact that can go stale: the weights in node_modules are the
 * only source, and the manifest pins their hashes. A network whose `precision`
 * is int8 (the detector, the recogniser) is built as the quantized graph (the
 * recogniser's activation ranges from models/recognition-int8-calibration.json),
 * an int8 detector with the float32 one beside it; the landmark net is float32
 * either way, as is the age/gender net.
 */
export async function convertFaceApiModels(
  modelDir = FACE_API_MODEL_DIR,
  precision: NetworkPrecisions = { detector: 'fp32', recognition: 'fp32' },
): Promise<FaceApiOnnxModels> {
  const pkg = JSON.parse(await readFile(path.join(modelDir, '..', 'package.json'), 'utf8')) as { version: string };
  const [ssd, landmarks, recognition, ageGender] = await Promise.all([
    loadTfjsWeights(modelDir, NETWORK_SPECS.detector.model),
    loadTfjsWeights(modelDir, NETWORK_SPECS.landmarks.model),
    loadTfjsWeights(modelDir, NETWORK_SPECS.recognition.model),
    loadTfjsWeights(modelDir, NETWORK_SPECS.gender.model),
  ]);
  const anchors = ssd.get(SSD_ANCHORS_WEIGHT, 3);
  return {
    detector:
      precision.detector === 'int8'
        ? buildSsdMobilenetInt8Graph(ssd, NETWORK_SPECS.detector.inputSize)
        : buildSsdMobilenetGraph(ssd, NETWORK_SPECS.detector.inputSize),
    float32Detector: precision.detector === 'int8' ? buildSsdMobilenetGraph(ssd, NETWORK_SPECS.detector.inputSize) : undefined,
    landmarks: buildLandmarkNetGraph(landmarks, NETWORK_SPECS.landmarks.inputSize),
    recognition:
      precision.recognition === 'int8'
        ? buildRecognitionNetInt8Graph(recognition, NETWORK_SPECS.recognition.inputSize, await loadRecognitionCalibration())
        : buildRecognitionNetGraph(recognition, NETWORK_SPECS.recognition.inputSize),
    gender: buildAgeGenderNetGraph(ageGender, NETWORK_SPECS.gender.inputSize),
    anchors: anchors.data,
    manifest: describeModels(pkg.version, {
      detector: ssd.sha256,
      landmarks: landmarks.sha256,
      recognition: recognition.sha256,
      gender: ageGender.sha256,
    }),
  };
}
