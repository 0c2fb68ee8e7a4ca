/**
 * The vocabulary shared by every vision stage and engine. Coordinates are always
 * pixels of the upright (EXIF-rotated) image the stage was given.
 */

/** A decoded photo: 8-bit RGB, row-major, 3 bytes per pixel, no padding. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * How a face was found: by the SSD detector, or — for a photo in which the
 * detector found nothing — as the whole image, when the image is itself a
 * tight crop of a face (forehead and chin cut off, which SSD was never trained
 * to see), or in a box a user drew (`manual`), which is checked like a
 * detector box.
 */
export type FaceSource = 'detector' | 'whole-image' | 'manual';

/** One face found by a detector. */
export interface Detection {
  box: Box;
  /** Detector confidence in [0, 1]. */
  score: number;
}

export interface DetectOptions {
  /** Detections below this score are dropped. */
  minScore: number;
  /** At most this many faces per photo, best first. */
  maxFaces: number;
  /**
   * Run the float32 detector even where the engine's is quantized
   * ({@link FaceEngine.approximateDetector}): face-api's own boxes.
   */
  float32?: boolean;
  /**
   * The input the SSD sees the photo at (the photo padded at its end to its
   * shape), for engines with a {@link FaceEngine.scalableDetector}: sides that
   * are multiples of 64. Default, and always elsewhere: 512 x 512, face-api's.
   */
  inputSize?: { width: number; height: number };
}

/** The largest inputs {@link FaceEngine.warmUp} prepares each network for. */
export interface WarmUpInputs {
  /** Detector input sizes (multiples of 64) the default detector will run; the float32 detector, if any, runs at 512. */
  detector: { width: number; height: number }[];
  /** Boxes in one batch of the landmark net. */
  landmarks: number;
  /** Crops in one batch of the recognition net. */
  recognition: number;
  /** Boxes in one batch of the age/gender net. */
  gender: number;
}

/**
 * A face-recognition engine: the networks the pipeline needs, behind one
 * narrow interface so that a faster runtime (ONNX) can replace the reference
 * one (tfjs-wasm) without touching anything above `vision/`.
 *
 * Every method works on a whole photo and all its faces at once so that an
 * engine can batch. Engines must be numerically interchangeable: the same
 * inputs give the same boxes, landmarks and descriptors within float noise.
 */
export interface FaceEngine {
  /** `tfjs` or `onnx`. */
  readonly name: string;
  /**
   * True when `detect` runs a quantized detector, whose boxes move a few
   * pixels from face-api's; `detect(..., { float32: true })` then runs the
   * float32 one. Absent or false: `detect` is always float32.
   */
  readonly approximateDetector?: boolean;
  /**
   * True when `detect` honours `DetectOptions.inputSize` (a multiple of 64):
   * the SSD runs at that size with its anchors laid out for it. Absent or
   * false: always at 512.
   */
  readonly scalableDetector?: boolean;
  /** Loads the networks; called once, lazily, before the first photo. */
  load(): Promise<void>;
  /**
   * Runs each network once at the largest inputs a photo will give it
   * (`largest`), so that the first photos do not pay for the runtime's
   * buffers: a server at start-up, an analysis thread before it takes photos.
   */
  warmUp?(largest: WarmUpInputs): Promise<void>;
  /** SSD MobileNet v1 face detection on the whole photo. */
  detect(image: RgbImage, options: DetectOptions): Promise<Detection[]>;
  /**
   * 68-point landmarks for each box (face-api's landmark net): the net sees the
   * box clipped to the image, and points come back in photo coordinates.
   */
  landmarks(image: RgbImage, boxes: Box[]): Promise<Point[][]>;
  /**
   * Raw 128-d descriptors (face-api's ResNet) of the given face crops. The crop
   * is clipped to the image, padded to a square and resized to 150 x 150 by the
   * engine exactly as face-api does. Not normalised.
   */
  embed(image: RgbImage, crops: Box[]): Promise<Float32Array[]>;
  /**
   * The probability that each box holds a man's face, in [0, 1]: face-api's
   * age/gender net (gender head). The box is clipped to the image, padded to a
   * square and resized to 112 x 112 as face-api does; face-api's own crop is
   * `ageGenderBox` (alignment.ts) of the face's landmarks. A box with no pixels in the
   * image gets 0.5: no evidence either way.
   */
  gender(image: RgbImage, boxes: Box[]): Promise<number[]>;
  /** Frees native memory. */
  dispose(): Promise<void>;
}
