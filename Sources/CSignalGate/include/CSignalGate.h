#ifndef CSIGNALGATE_H
#define CSIGNALGATE_H

/// The read end of the pipe that SIGINT, SIGTERM and SIGHUP are written to (one byte, the
/// signal's number, per signal), or -1 when the pipe could not be made. The handlers are
/// installed by a constructor that runs before main (and before any library starts a thread
/// that could take the signal), so no signal is lost in the first milliseconds of the process.
int netsweep_signal_pipe(void);

#endif
