/* A plain C JACK client that times its own process callbacks: the peer that
 * bench_xruns.py runs in the same private JACK server as our stream.
 *
 * Its process callback does nothing but read CLOCK_MONOTONIC, so when it sees
 * a late cycle (more than 1.5 periods after the one before) or JACK reports an
 * xrun to it, the server or the machine was late, not the client's work.
 *
 *     jack_cycle_peer SECONDS   -> one JSON line on stdout
 *
 * Counting starts after one second (start-up excluded), like bench_xruns.
 */
#include <jack/jack.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_int counting;
static long long last_ns, period_ns, late_max_ns, cycles, late, xruns;

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int on_process(jack_nframes_t nframes, void *arg)
{
    (void)nframes;
    (void)arg;
    long long t = now_ns();
    if (!atomic_load(&counting)) {
        last_ns = 0; /* the first counted cycle only sets the start */
        return 0;
    }
    {
        if (last_ns) {
            long long gap = t - last_ns;
            if (gap - period_ns > late_max_ns)
                late_max_ns = gap - period_ns;
            if (2 * gap > 3 * period_ns)
                late++;
        }
        cycles++;
    }
    last_ns = t;
    return 0;
}

static int on_xrun(void *arg)
{
    (void)arg;
    if (atomic_load(&counting))
        xruns++;
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10.0;
    jack_status_t status;
    jack_client_t *client = jack_client_open("livemappr-peer", JackNoStartServer, &status);
    if (client == NULL) {
        fprintf(stderr, "jack_cycle_peer: cannot open a JACK client (status 0x%x)\n", status);
        return 1;
    }
    period_ns = (long long)jack_get_buffer_size(client) * 1000000000LL / jack_get_sample_rate(client);
    jack_set_process_callback(client, on_process, NULL);
    jack_set_xrun_callback(client, on_xrun, NULL);
    if (jack_activate(client) != 0) {
        fprintf(stderr, "jack_cycle_peer: cannot activate\n");
        return 1;
    }
    usleep(1000000);
    atomic_store(&counting, 1);
    usleep((useconds_t)(seconds * 1e6));
    atomic_store(&counting, 0);
    usleep(100000); /* let a callback in flight finish before reading */
    printf("{\"cycles\": %lld, \"late\": %lld, \"late_max_ms\": %.3f, \"xruns\": %lld}\n",
           cycles, late, late_max_ns / 1e6, xruns);
    jack_client_close(client);
    return 0;
}
