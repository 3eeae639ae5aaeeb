-- Catalog metadata of a collection (store.Metadata: licence URL, publisher,
-- contact, update frequency, theme, attribution) as one JSON object, and
-- the change log's 'collection' entries, written when it changes.
ALTER TABLE collections ADD COLUMN meta jsonb NOT NULL DEFAULT '{}';
ALTER TABLE changes DROP CONSTRAINT IF EXISTS changes_op_check;
ALTER TABLE changes ADD CONSTRAINT changes_op_check CHECK (op IN ('insert', 'update', 'delete', 'load', 'collection'));
