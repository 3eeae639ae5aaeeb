-- A collection's role on the web map: '' an asset layer (the default),
-- 'base' a base layer such as streets (drawn under the others, not counted
-- in the panel), 'boundary' the city limits (drawn as the boundary, the
-- first view fits it).
ALTER TABLE collections
    ADD COLUMN role text NOT NULL DEFAULT ''
    CONSTRAINT collections_role_check CHECK (role IN ('', 'base', 'boundary'));
