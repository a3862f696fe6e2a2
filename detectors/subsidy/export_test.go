package subsidy

// SetPaymentChunks makes payments cut its rows into up to chunks chunks
// of at least rows rows (whatever the core count) until restore is called.
func SetPaymentChunks(rows, chunks int) (restore func()) {
	oldRows, oldMax := paymentChunkRows, paymentChunksMax
	paymentChunkRows, paymentChunksMax = rows, chunks
	return func() { paymentChunkRows, paymentChunksMax = oldRows, oldMax }
}
