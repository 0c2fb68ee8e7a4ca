import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Connection } from './connection.type.js';

@ObjectType({ description: 'A stored photo. Width and height are those of the upright original.' })
export class Image {
  @Field(() => ID) id!: number;
  albumId!: number;
  @Field(() => String) fileName!: string;
  @Field(() => String, {
    description:
      "Decoded format: jpeg, png, webp, gif, tiff, avif or heic (HEVC in HEIF); for a camera RAW its format (dng, cr2, cr3, nef, arw, raf, orf, rw2, pef, raw), the faces then found on its embedded JPEG preview and width, height and boxes in the preview's pixels.",
  })
  format!: string;
  @Field(() => Int) width!: number;
  @Field(() => Int) height!: number;
  @Field(() => Int, { description: 'Size of the stored file in bytes.' }) byteSize!: number;
  @Field(() => String, { description: 'Hex SHA-256 of the file; the same bytes are stored once.' }) sha256!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, {
    nullable: true,
    description:
      "When the photo was taken: EXIF DateTimeOriginal at OffsetTimeOriginal. Without an offset the camera's clock as written, read as UTC; null when the photo does not say.",
  })
  takenAt!: Date | null;
}

@ObjectType()
export class ImageConnection extends Connection(Image) {}
