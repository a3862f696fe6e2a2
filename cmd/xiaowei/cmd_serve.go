package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/neijiang/xiaowei/internal/run"
	"github.com/neijiang/xiaowei/internal/service"
	"github.com/neijiang/xiaowei/internal/store"
)

func init() {
	register(command{name: "serve", summary: "run the nightly supervision and campaigns on schedule over PostgreSQL", run: cmdServe})
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "--config FILE [--listen ADDR] [--log-level debug|info|warn|error]", stdout)
	config := fs.String("config", "", "service configuration (see docs/serve.example.yaml); the database URL comes from it or $DATABASE_URL")
	listen := fs.String("listen", "", "HTTP address for /healthz, /metrics, /runs (overrides the config)")
	level := fs.String("log-level", "info", "log level")
	check := fs.Bool("check", false, "check the configuration and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *config == "" {
		return badInput(errors.New("--config is required"))
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return badInput(fmt.Errorf("--log-level: %w", err))
	}
	cfg, err := service.LoadConfig(*config)
	if err != nil {
		return badInput(err)
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lv}))
	svc, err := service.New(cfg, log, versionString())
	if err != nil {
		return badInput(err)
	}
	// Scheduled runs get the same dispositions and leads steps as
	// `xiaowei run --db`, with decisions read from the database.
	svc.Prepare = prepareServiceRun
	svc.InTx = func(st *store.Store, out *run.Outcome) []store.TxWriter {
		return []store.TxWriter{st.LeadsWriter(out, cfg.Web.DueDays)}
	}
	if *check {
		fmt.Fprintln(stdout, "configuration ok")
		return nil
	}
	return svc.Serve(ctx)
}
