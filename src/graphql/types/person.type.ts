import { GraphQLDate } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { ClusteringSummary } from '../../services/clustering.service.js';
import type { PersonMergeRecord, PersonRecord } from '../../services/records.js';
import { Connection } from './connection.type.js';
import { Face } from './face.type.js';

export enum AssignedBy {
  MACHINE = 'machine',
  USER = 'user',
}
registerEnumType(AssignedBy, {
  name: 'AssignedBy',
  description: 'Who put a face in its person (or in nobody): clustering recomputes MACHINE assignments and keeps USER ones.',
});

@ObjectType({ description: 'A person: faces grouped by clustering, and by the hand of users.' })
export class Person {
  @Field(() => ID) id!: number;
  @Field(() => String, { nullable: true, description: 'Null until a user names the person.' }) name!: string | null;
  @Field(() => Boolean, { description: 'Hidden people are left out of lists unless asked for, and keep their faces.' })
  hidden!: boolean;
  @Field(() => Int, { description: 'Faces of this person in the whole library.' }) faceCount!: number;
  thumbnailFaceId!: number | null;
  @Field(() => GraphQLDate, {
    nullable: true,
    description: 'Set with setPersonBirthDate; no face of a photo taken before it joins or is suggested for the person by machine.',
  })
  birthDate!: string | null;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
}

@ObjectType({
  description: 'A face in no person and the person it most likely is: confirm with moveFace, refuse with rejectFaceFromPerson.',
})
export class FaceSuggestion {
  @Field(() => Face) face!: Face;
  @Field(() => Person) person!: Person;
  @Field(() => Float, { description: "The face's mean cosine distance to the person's faces." }) distance!: number;
}

@ObjectType()
export class PersonConnection extends Connection(Person) {}

@ObjectType({ description: 'A merge of people into one; `undoMerge(id)` takes it back.' })
export class PersonMerge {
  @Field(() => ID) id!: number;
  intoId!: number;
  fromIds!: number[];
  @Field(() => Date) createdAt!: Date;
  @Field(() => Boolean) undone!: boolean;
}

@ObjectType({
  description:
    'Two people of an album who may be one person: accept with mergePeople(into: a, from: [b]), refuse with dismissMergeSuggestion(a, b).',
})
export class MergeSuggestion {
  @Field(() => Person, { description: 'The one with more faces.' }) a!: Person;
  @Field(() => Person) b!: Person;
  @Field(() => Float, {
    description: "Mean cosine distance over all pairs of the two people's faces: the average linkage clustering merges by.",
  })
  distance!: number;
}

@ObjectType({ description: 'What a clustering run did.' })
export class ClusteringResult implements ClusteringSummary {
  @Field(() => Int, { description: 'Faces the run was free to place (all but those users placed).' }) faces!: number;
  @Field(() => Int, { description: 'Faces now in a person that existed before the run.' }) joinedExisting!: number;
  @Field(() => Int, { description: 'Faces now in a person the run created.' }) inNewPeople!: number;
  @Field(() => Int, { description: 'Faces left unassigned until enough similar faces exist.' }) unassigned!: number;
  @Field(() => Int) newPeople!: number;
  @Field(() => Int, { description: 'Machine-made people left with no face, removed.' }) removedPeople!: number;
  @Field(() => Float) seconds!: number;
}

export const toPerson = (r: PersonRecord): Person => ({
  id: r.id,
  name: r.name,
  hidden: r.hidden,
  faceCount: r.face_count,
  thumbnailFaceId: r.thumbnail_face_id,
  birthDate: r.birth_date,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toPersonMerge = (r: PersonMergeRecord): PersonMerge => ({
  id: r.id,
  intoId: r.into_person_id,
  fromIds: r.from_person_ids,
  createdAt: r.created_at,
  undone: r.undone_at !== null,
});
