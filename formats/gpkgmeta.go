package formats

import (
	"encoding/xml"
	"strings"
)

// writeMetadata records the layer's metadata (licence, keywords, ...) with
// the GeoPackage metadata extension (gpkg_metadata, referenced from the
// table), in the XML GDAL keeps its own metadata items in, so that GDAL
// and QGIS show them as the layer's metadata (ogrinfo lists LICENSE=...).
// A layer with nothing to say gets no metadata tables.
func (gw *gpkgWriter) writeMetadata() error {
	items := gw.layer.metaExcept(MetaTitle, MetaDescription)
	if len(items) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("<GDALMultiDomainMetadata>\n  <Metadata>\n")
	for _, it := range items {
		b.WriteString(`    <MDI key="`)
		_ = xml.EscapeText(&b, []byte(strings.ToUpper(it.Key)))
		b.WriteString(`">`)
		_ = xml.EscapeText(&b, []byte(it.Value))
		b.WriteString("</MDI>\n")
	}
	b.WriteString("  </Metadata>\n</GDALMultiDomainMetadata>\n")
	const def = "http://www.geopackage.org/spec120/#extension_metadata"
	stmts := []struct {
		q    string
		args []any
	}{
		{`CREATE TABLE gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')`, nil},
		{`CREATE TABLE gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER, timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL, md_parent_id INTEGER, CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id), CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))`, nil},
		{`INSERT INTO gpkg_extensions VALUES ('gpkg_metadata', NULL, 'gpkg_metadata', ?, 'read-write'), ('gpkg_metadata_reference', NULL, 'gpkg_metadata', ?, 'read-write')`, []any{def, def}},
		{`INSERT INTO gpkg_metadata (id, md_scope, md_standard_uri, mime_type, metadata) VALUES (1, 'dataset', 'http://gdal.org', 'text/xml', ?)`, []any{b.String()}},
		{`INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id) VALUES ('table', ?, 1)`, []any{gw.table}},
	}
	for _, st := range stmts {
		if _, err := gw.tx.Exec(st.q, st.args...); err != nil {
			return err
		}
	}
	return nil
}
