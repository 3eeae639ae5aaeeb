-- Bulk loads: the foreign key from features to collections cost a trigger
-- call per inserted row (about half of an import's time in PostgreSQL).
-- Writers already lock their collection's row (FOR SHARE) for the whole
-- transaction, and deleting a collection deletes its features in the same
-- transaction, so the key added nothing but that cost.
ALTER TABLE features DROP CONSTRAINT IF EXISTS features_collection_fkey;
