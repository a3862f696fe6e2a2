package run

import (
	"cmp"
	"slices"
	"strings"
)

// schedule calls run once for each job, on up to workers goroutines at a
// time, each job only after the jobs it reads (after) have finished. Of
// the jobs ready to start, the costliest starts first, so that the longest
// detector does not begin last and leave a core idle at the end; ties go
// by name. Once a job has failed no other starts (the run fails anyway),
// so a job never starts after one it reads failed. It returns when every
// started job has finished.
func schedule(jobs []*detectJob, workers int, run func(*detectJob)) {
	workers = max(workers, 1)
	waiting := make(map[*detectJob]int, len(jobs))
	dependents := map[*detectJob][]*detectJob{}
	var ready []*detectJob
	for _, j := range jobs {
		waiting[j] = len(j.after)
		for _, dep := range j.after {
			dependents[dep] = append(dependents[dep], j)
		}
		if len(j.after) == 0 {
			ready = append(ready, j)
		}
	}
	done := make(chan *detectJob)
	running, failed := 0, false
	for {
		for !failed && running < workers && len(ready) > 0 {
			slices.SortStableFunc(ready, costlierFirst)
			j := ready[0]
			ready = ready[1:]
			running++
			go func() {
				run(j)
				done <- j
			}()
		}
		if running == 0 {
			return
		}
		j := <-done
		running--
		failed = failed || j.err != nil
		for _, d := range dependents[j] {
			if waiting[d]--; waiting[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
}

func costlierFirst(a, b *detectJob) int {
	if c := cmp.Compare(b.cost, a.cost); c != 0 {
		return c
	}
	return cmp.Compare(a.d.Name(), b.d.Name())
}

// cycle returns the names along a path of jobs that read each other's
// views and comes back to one of them ("a -> b -> a"), or "" when there
// is none.
func cycle(jobs []*detectJob) string {
	const (
		unseen = iota
		onPath
		finished
	)
	state := map[*detectJob]int{}
	var path []string
	var visit func(j *detectJob) string
	visit = func(j *detectJob) string {
		switch state[j] {
		case onPath:
			return strings.Join(append(path, j.d.Name()), " -> ")
		case finished:
			return ""
		}
		state[j] = onPath
		path = append(path, j.d.Name())
		for _, dep := range j.after {
			if c := visit(dep); c != "" {
				return c
			}
		}
		path = path[:len(path)-1]
		state[j] = finished
		return ""
	}
	for _, j := range jobs {
		if c := visit(j); c != "" {
			return c
		}
	}
	return ""
}
