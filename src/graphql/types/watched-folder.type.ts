import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum WatchedFolderState {
  SCANNING = 'SCANNING',
  WATCHING = 'WATCHING',
  PARTIAL = 'PARTIAL',
  MISSING = 'MISSING',
  UNREADABLE = 'UNREADABLE',
}
registerEnumType(WatchedFolderState, {
  name: 'WatchedFolderState',
  description:
    'SCANNING: the folder is being walked (at watchFolder and at every start). WATCHING: in step, changes followed. ' +
    'PARTIAL: in step, but some files or subfolders could not be read (a symlink loop, a file that vanished mid-read, ' +
    'a file that is not a photo; see message). MISSING: the folder is gone or no longer a folder; its photos stay, ' +
    'reads of them fail PHOTO_MISSING, and it is scanned again when it is back. UNREADABLE: the server may not read it.',
});

@ObjectType({
  description: 'A folder under FACEGRAPH_IMPORT_ROOT whose photos an album indexes in place (never copied) and keeps in step.',
})
export class WatchedFolder {
  @Field(() => ID) id!: number;
  albumId!: number;
  @Field(() => String, { description: 'Relative to FACEGRAPH_IMPORT_ROOT ("." for the root itself).' }) path!: string;
  @Field(() => WatchedFolderState) state!: WatchedFolderState;
  @Field(() => String, { nullable: true, description: 'What went wrong, when the state is not SCANNING or WATCHING.' })
  message!: string | null;
  @Field(() => Int, { description: 'Files the current or last scan went through.' }) filesScanned!: number;
  @Field(() => Date, { nullable: true, description: 'When the last scan ended (null until the first one has).' })
  lastScanAt!: Date | null;
  @Field(() => Date) createdAt!: Date;
}
