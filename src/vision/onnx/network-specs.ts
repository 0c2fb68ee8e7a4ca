/**
 * How face-api feeds one network: the input square, how a non-square image is
 * padded to it, and the per-channel normalisation. The engine's preprocessing
 * reads these, and the committed model manifest pins them, so that a change
 * here without a matching parity check is refused at start-up.
 */
export interface NetworkSpec {
  /** tfjs model name inside face-api's `model/` folder. */
  readonly model: string;
  /** Side of the square input in pixels; its width where {@link inputHeight} is given. */
  readonly inputSize: number;
  /** Height of a non-square input (the detector's large-photo pass: the photo padded at its end to this shape). */
  readonly inputHeight?: number;
  /**
   * face-api's `padToSquare`: `end` pads the short side at the bottom/right
   * (`isCenterImage = false`), `center` splits it with the larger half after.
   */
  readonly padding: 'end' | 'center';
  /** Normalised value = (pixel - mean[c]) / divisor + offset, in float32 steps. */
  readonly mean: readonly [number, number, number];
  readonly divisor: number;
  readonly offset: number;
}

/** The face-api networks the pipeline runs, with face-api's own constants. */
export const NETWORK_SPECS = {
  /** `SsdMobilenetv1.forwardInput`: toBatchTensor(512, false), x / 127.5 - 1. */
  detector: { model: 'ssd_mobilenetv1_model', inputSize: 512, padding: 'end', mean: [0, 0, 0], divisor: 127.5, offset: -1 },
  /** `FaceFeatureExtractor.forwardInput`: toBatchTensor(112, true), (x - mean) / 255. */
  landmarks: {
    model: 'face_landmark_68_model',
    inputSize: 112,
    padding: 'center',
    mean: [122.782, 117.001, 104.298],
    divisor: 255,
    offset: 0,
  },
  /** `FaceRecognitionNet.forwardInput`: toBatchTensor(150, true), (x - mean) / 255. */
  recognition: {
    model: 'face_recognition_model',
    inputSize: 150,
    padding: 'center',
    mean: [122.782, 117.001, 104.298],
    divisor: 255,
    offset: 0,
  },
  /**
   * `AgeGenderNet`'s TinyXception (`TinyXception.forwardInput`): toBatchTensor(112, true), (x - mean) / 255,
   * the landmark net's input. Only the gender head is converted.
   */
  gender: {
    model: 'age_gender_model',
    inputSize: 112,
    padding: 'center',
    mean: [122.782, 117.001, 104.298],
    divisor: 255,
    offset: 0,
  },
} as const satisfies Record<string, NetworkSpec>;

export type NetworkName = keyof typeof NETWORK_SPECS;

/** The resize every network input goes through (tfjs `resizeBilinear(x, size, false, false)`). */
export const RESIZE_METHOD = 'bilinear, align_corners=false, half_pixel_centers=false, float32 (XNNPACK legacy)';

/** SSD anchors tensor in the detector's weights; decoding happens in TypeScript. */
export const SSD_ANCHORS_WEIGHT = 'Output/extra_dim';
/** face-api's fixed NMS IoU threshold for SSD MobileNet v1. */
export const SSD_IOU_THRESHOLD = 0.5;
