import DataLoader from 'dataloader';
import type { Owner } from '../services/api-key.service.js';
import type { FaceRecord, ImageRecord } from '../services/records.js';
import type { Services } from '../services/services.js';

/** Per-request batch loaders: one query for all the images or faces a response needs. */
export interface Loaders {
  image: DataLoader<number, ImageRecord | undefined>;
  facesOfImage: DataLoader<number, FaceRecord[]>;
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
    },
  };
}
