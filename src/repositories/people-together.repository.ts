import { sql, type Kysely } from 'kysely';
import type { DB, ImageRow } from '../db/tables.js';

/**
 * Photos in which every one of some people appears (`peopleTogether`), keyset-paged by image id:
 * the first person's faces through face_people_person_idx, each other person (and `only`'s
 * anyone-else) one probe of faces_image_id_idx and face_people's key per photo. The caller passes
 * the person with the fewest faces first (docs/benchmarks.md, People together).
 */
export class PeopleTogetherRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * `only`: also no face of any person outside `personIds` in the photo (faces in no person do
   * not count: they are nobody yet).
   */
  imagesAfter(personIds: readonly number[], only: boolean, afterId: number, limit: number): Promise<ImageRow[]> {
    const [first, ...others] = personIds;
    let q = this.db
      .selectFrom('images')
      .selectAll()
      .where(
        'images.id',
        'in',
        sql<number>`(SELECT f.image_id FROM face_people fp JOIN faces f ON f.id = fp.face_id WHERE fp.person_id = ${first} AND f.image_id > ${afterId})`,
      );
    for (const other of others) {
      q = q.where(
        sql<boolean>`EXISTS (SELECT 1 FROM faces g JOIN face_people gp ON gp.face_id = g.id WHERE g.image_id = images.id AND gp.person_id = ${other})`,
      );
    }
    if (only) {
      q = q.where(
        sql<boolean>`NOT EXISTS (SELECT 1 FROM faces g JOIN face_people gp ON gp.face_id = g.id
          WHERE g.image_id = images.id AND gp.person_id IS NOT NULL AND gp.person_id <> ALL(${[...personIds]}::bigint[]))`,
      );
    }
    return q.orderBy('images.id').limit(limit).execute();
  }
}
