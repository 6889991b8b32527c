#include "CSignalGate.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static int pipe_ends[2] = {-1, -1};

/// Async-signal-safe: one write(2), errno preserved.
static void on_signal(int signal) {
    int saved = errno;
    unsigned char byte = (unsigned char)signal;
    if (pipe_ends[1] >= 0) { (void)!write(pipe_ends[1], &byte, 1); }
    errno = saved;
}

/// Runs before any shared library's initializer: from the executable's `.preinit_array`, which
/// the dynamic loader calls right after relocation, before OpenBLAS, Foundation or HDF5 start
/// (their constructors take most of the ~15 ms between exec and main). The constructor below is
/// the fallback where a preinit array is not run; the second call does nothing. A SIGHUP the parent set to be ignored (nohup) stays ignored; SIGINT and
/// SIGTERM are always handled (a harness or a shell script that started the runner in the
/// background, with SIGINT ignored, can still stop it cleanly with kill -INT).
static void install_signal_gate(void) {
    if (pipe_ends[0] >= 0) { return; }
    if (pipe(pipe_ends) != 0) { return; }
    fcntl(pipe_ends[0], F_SETFD, FD_CLOEXEC);
    fcntl(pipe_ends[1], F_SETFD, FD_CLOEXEC);
    // SIGUSR1 is what `runner slurm` asks Slurm to send before a task's time limit.
    const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};
    for (unsigned i = 0; i < sizeof handled / sizeof handled[0]; i++) {
        struct sigaction current;
        sigaction(handled[i], NULL, &current);
        if ((handled[i] == SIGHUP || handled[i] == SIGUSR1) && current.sa_handler == SIG_IGN) { continue; }
        struct sigaction action = {0};
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        sigaction(handled[i], &action, NULL);
    }
    // A parent may have left them blocked (the mask is inherited through exec): unblock them,
    // or a signal would wait forever instead of stopping the sweep.
    sigset_t mask;
    sigemptyset(&mask);
    for (unsigned i = 0; i < sizeof handled / sizeof handled[0]; i++) { sigaddset(&mask, handled[i]); }
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

int netsweep_signal_pipe(void) { return pipe_ends[0]; }

__attribute__((section(".preinit_array"), used))
static void (*const preinit_signal_gate)(void) = install_signal_gate;

__attribute__((constructor(101))) static void install_signal_gate_late(void) { install_signal_gate(); }
