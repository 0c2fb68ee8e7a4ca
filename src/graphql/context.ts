import DataLoader from 'dataloader';
import type { Owner } from '../services/api-key.service.js';
import type { FaceAssignment, FaceRecord, ImageRecord, PersonRecord } from '../services/records.js';
import type { Services } from '../services/services.js';

/** Per-request batch loaders: one query for all the images, faces or people a response needs. */
export interface Loaders {
  image: DataLoader<number, ImageRecord | undefined>;
  facesOfImage: DataLoader<number, FaceRecord[]>;
  face: DataLoader<number, FaceRecord | undefined>;
  person: DataLoader<number, PersonRecord | undefined>;
  /** Which person each face is in. */
  assignment: DataLoader<number, FaceAssignment | undefined>;
}

export interface GraphQLContext {
  /** Whose request this is (its API key's owner, or the local owner in single-user mode); every service call passes `owner.id`. */
  owner: Owner;
  services: Services;
  loaders: Loaders;
  /** Largest `first` / `limit` accepted. */
  maxPage: number;
  /** Most files or paths one ingest request may carry. */
  maxFiles: number;
  /** Where multipart uploads are drained before they are processed. */
  stagingDir: string;
}

export function createContext(
  services: Services,
  owner: Owner,
  limits: { maxPage: number; maxFiles: number; stagingDir: string },
): GraphQLContext {
  return {
    owner,
    services,
    ...limits,
    loaders: {
      image: new DataLoader((ids) => services.albums.imagesByIds(owner.id, ids)),
      facesOfImage: new DataLoader((ids) => services.faces.facesOfImages(owner.id, ids)),
      face: new DataLoader((ids) => services.people.facesByIds(owner.id, ids)),
      person: new DataLoader((ids) => services.people.byIds(owner.id, ids)),
      assignment: new DataLoader((ids) => services.people.assignmentsOf(owner.id, ids)),
    },
  };
}
