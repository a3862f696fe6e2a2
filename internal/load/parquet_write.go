package load

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/neijiang/xiaowei/internal/table"
)

// parquetRowGroup is the row-group length WriteParquet uses: large groups
// compress better and read faster; 1M rows of the widest table is ~100 MB
// in memory while writing.
const parquetRowGroup = 1 << 20

// WriteParquet writes t with each column's kind in field metadata (and the
// Arrow schema stored in the file), so loading it back gives the same table.
// The file is written beside path and renamed into place, so a reader never
// sees half a file.
func WriteParquet(path string, t *table.Table) (err error) {
	schema := table.Schema(t.Cols)
	rec := array.NewRecordBatch(schema, t.Rec.Columns(), t.Rec.NumRows())
	defer rec.Release()

	// The temp name has the shape run.RemoveStaleTemps cleans up after a
	// killed run (".xiaowei-tmp-<name>.<digits>").
	tmp, err := os.CreateTemp(filepath.Dir(path), ".xiaowei-tmp-"+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	props := parquet.NewWriterProperties(
		parquet.WithMaxRowGroupLength(parquetRowGroup),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(true),
	)
	fw, err := pqarrow.NewFileWriter(schema, tmp, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := fw.Close(); err != nil { // also closes tmp
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// Synced before the rename, as WriteFileAtomic does: a crash must
	// leave the old file or the whole new one, never an empty one.
	if err := syncFile(tmp.Name()); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// syncFile flushes a closed file's data to disk (fsync through a new
// descriptor: the Parquet writer closes its own).
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
