/*
 * sh - the OptiOS shell: the first foreground program.
 *
 * Theory of operation. The shell is one loop: read a line, split it into
 * words, run it, remember its status in $?. Three layers:
 *
 *   line editor   On a terminal, input is read in raw mode (no echo, no line
 *                 discipline, no signals) and the shell edits the line itself:
 *                 struct editor holds the text and the cursor, history holds
 *                 the last HIST_MAX lines (oldest first). Invariant: 0 <= pos
 *                 <= len < LINE_MAX and buf[len] == 0; what is on the screen
 *                 after the prompt is buf, with the terminal cursor at pos.
 *                 When input is not a terminal, lines are read as they come.
 *                 A line longer than LINE_MAX - 1 bytes is refused whole with
 *                 an error (never cut and run: its end may be a redirection).
 *   words         parse_line() turns the line into argv (quotes, backslashes,
 *                 $? expanded) and up to one redirection per direction. Words
 *                 are copied into struct cmd's own storage, never into the line.
 *   execution     Builtins run in the shell; anything else is a program (a
 *                 path, or a name looked up in /bin, then in /usr/bin where
 *                 BusyBox's applets are: docs/USERLAND.md) started
 *                 with optios_spawn() (posix_spawn() on a host without it) and
 *                 waited for. A pipeline (a | b | c, at most STAGES_MAX) starts
 *                 every stage at once with the shell's 0/1 pointed at the pipes
 *                 around it while it starts (a builtin stage runs in a fork of
 *                 the shell), then waits for all; $? is the last stage's. Redirections are applied to the shell's own
 *                 descriptors 0/1 around the command (the child inherits 0-2)
 *                 and always put back, so the shell never loses its terminal.
 *
 * Jobs: what a line started is one job (one process group); Ctrl+Z stops
 * it and the prompt comes back, `jobs`, `fg`, `bg` (see "jobs" below).
 *
 * Scripts are not this shell's: `sh FILE` hands FILE to BusyBox's sh (ash),
 * whose language has loops and functions (docs/USERLAND.md); `sh -c LINE`
 * runs one line here (what system() and popen() ask for).
 *
 * The terminal is back in its normal (cooked) mode while a program runs, so
 * the program gets the console's line editing and Ctrl+C ends it, not us.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <optios.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define LINE_MAX_ 1024
#define HIST_MAX 50
#define ARGS_MAX 64
#define STAGES_MAX 8 /* programs in one pipeline */
#define JOBS_MAX 8 /* stopped and background jobs */

extern char **environ;

static int last_status; /* $? */
static bool interactive; /* stdin is a terminal: prompt, raw-mode editing if it can */
static struct termios cooked; /* the terminal's mode when we started */

/* ---- output helpers ---- */

static void out(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void outs(const char *s)
{
	out(s, strlen(s));
}

/* ---- terminal modes ---- */

/* Returns false when the terminal cannot do raw mode (then lines come cooked). */
static bool term_raw(void)
{
	/* Output processing stays on: "\n" goes out as "\r\n". */
	struct termios t = cooked;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(ICRNL | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return tcsetattr(0, TCSANOW, &t) == 0;
}

static void term_cooked(void)
{
	tcsetattr(0, TCSANOW, &cooked);
}

/* ---- history ---- */

static char *history[HIST_MAX];
static int hist_count;

static void hist_add(const char *line)
{
	if (line[0] == 0 || (hist_count > 0 && strcmp(history[hist_count - 1], line) == 0))
		return;
	char *copy = strdup(line);
	if (!copy)
		return;
	if (hist_count == HIST_MAX) {
		free(history[0]);
		memmove(history, history + 1, (HIST_MAX - 1) * sizeof history[0]);
		hist_count--;
	}
	history[hist_count++] = copy;
}

/* ---- the line editor ---- */

enum key {
	K_NONE = 256,
	K_LEFT,
	K_RIGHT,
	K_UP,
	K_DOWN,
	K_HOME,
	K_END,
	K_DELETE,
	K_EOF,
};

struct editor {
	char buf[LINE_MAX_];
	int len, pos;
	bool too_long; /* a key was refused: the line is full */
	int hist_pos; /* hist_count: the line being typed */
	char saved[LINE_MAX_]; /* the line being typed while browsing history */
};

static int read_byte(void)
{
	unsigned char c;
	ssize_t n;
	for (;;) {
		n = read(0, &c, 1);
		if (n >= 0 || (errno != EINTR && errno != EAGAIN))
			break;
		if (errno == EAGAIN) /* a program ended leaving stdin non-blocking */
			fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
	}
	return n == 1 ? c : -1;
}

/* ESC [ n ~: Home (1, 7), Delete (3), End (4, 8). */
static int tilde_key(int num)
{
	switch (num) {
	case 1:
	case 7: return K_HOME;
	case 3: return K_DELETE;
	case 4:
	case 8: return K_END;
	}
	return K_NONE;
}

/* Reads one key: a byte, or an escape sequence (ESC [ x, ESC [ n ~, ESC O x) as
 * a K_ code. Unknown sequences become K_NONE. */
static int read_key(void)
{
	int c = read_byte();
	if (c < 0)
		return K_EOF;
	if (c != 0x1b)
		return c;
	int c1 = read_byte();
	if (c1 != '[' && c1 != 'O')
		return K_NONE;
	int c2 = read_byte(), num = 0;
	while (c2 >= '0' && c2 <= '9') {
		num = num * 10 + (c2 - '0');
		c2 = read_byte();
	}
	switch (c2) {
	case 'A': return K_UP;
	case 'B': return K_DOWN;
	case 'C': return K_RIGHT;
	case 'D': return K_LEFT;
	case 'H': return K_HOME;
	case 'F': return K_END;
	case '~': return tilde_key(num);
	}
	return K_NONE;
}

/* Redraws from column `from` of the line to its end, clears what was left
 * over, and puts the terminal cursor back at e->pos. */
static void redraw_from(struct editor *e, int from)
{
	char seq[16];
	out(e->buf + from, (size_t)(e->len - from));
	outs("\x1b[K");
	if (e->len > e->pos) {
		snprintf(seq, sizeof seq, "\x1b[%dD", e->len - e->pos);
		outs(seq);
	}
}

static void move_to(struct editor *e, int pos)
{
	char seq[16];
	if (pos < e->pos)
		snprintf(seq, sizeof seq, "\x1b[%dD", e->pos - pos);
	else if (pos > e->pos)
		snprintf(seq, sizeof seq, "\x1b[%dC", pos - e->pos);
	else
		return;
	outs(seq);
	e->pos = pos;
}

/* Replaces the whole line with text (history browsing, Ctrl+U). */
static void set_line(struct editor *e, const char *text)
{
	move_to(e, 0);
	e->too_long = false;
	snprintf(e->buf, sizeof e->buf, "%s", text);
	e->len = e->pos = (int)strlen(e->buf);
	redraw_from(e, 0);
}

static void insert_char(struct editor *e, char c)
{
	if (e->len >= LINE_MAX_ - 1) {
		if (!e->too_long)
			outs("\a"); /* once: the rest of a pasted line rings no more */
		e->too_long = true;
		return;
	}
	memmove(e->buf + e->pos + 1, e->buf + e->pos, (size_t)(e->len - e->pos + 1));
	e->buf[e->pos] = c;
	e->len++;
	e->pos++;
	if (e->pos == e->len)
		out(&c, 1);
	else
		redraw_from(e, e->pos - 1);
}

static void delete_at(struct editor *e, int at)
{
	if (at < 0 || at >= e->len)
		return;
	memmove(e->buf + at, e->buf + at + 1, (size_t)(e->len - at));
	e->len--;
	if (at < e->pos) {
		outs("\b");
		e->pos--;
	}
	redraw_from(e, e->pos);
}

static void browse_history(struct editor *e, int dir)
{
	int to = e->hist_pos + dir;
	if (to < 0 || to > hist_count)
		return;
	if (e->hist_pos == hist_count)
		snprintf(e->saved, sizeof e->saved, "%s", e->buf);
	e->hist_pos = to;
	set_line(e, to == hist_count ? e->saved : history[to]);
}

/* Applies one key. Returns 1 when the line is complete, -1 at end of input,
 * 0 to go on. */
static int edit_key(struct editor *e, int k)
{
	switch (k) {
	case '\r':
	case '\n': outs("\n"); return 1;
	case K_EOF: return -1;
	case 4: /* Ctrl+D: end of input on an empty line, else delete */
		if (e->len == 0)
			return -1;
		delete_at(e, e->pos);
		break;
	case 3: /* Ctrl+C: drop the line */
		outs("^C\n");
		e->too_long = false;
		e->len = e->pos = 0;
		e->buf[0] = 0;
		return 1;
	case 127:
	case '\b': delete_at(e, e->pos - 1); break;
	case K_DELETE: delete_at(e, e->pos); break;
	case K_LEFT:
		if (e->pos > 0)
			move_to(e, e->pos - 1);
		break;
	case K_RIGHT:
		if (e->pos < e->len)
			move_to(e, e->pos + 1);
		break;
	case K_HOME:
	case 1: move_to(e, 0); break;
	case K_END:
	case 5: move_to(e, e->len); break;
	case 21: set_line(e, ""); break; /* Ctrl+U */
	case K_UP: browse_history(e, -1); break;
	case K_DOWN: browse_history(e, 1); break;
	default:
		if (k >= 32 && k < 127)
			insert_char(e, (char)k);
	}
	return 0;
}

/* Set by read_line: the line had more than LINE_MAX_ - 1 bytes; what it
 * returned is cut short and must not run. */
static bool line_too_long;

/* Reads a line without a terminal: bytes up to a newline. NULL at the end. */
static char *read_plain_line(char *buf, size_t size)
{
	size_t n = 0;
	int c;
	while ((c = read_byte()) >= 0 && c != '\n') {
		if (n + 1 < size)
			buf[n++] = (char)c;
		else
			line_too_long = true; /* read on to the newline: the next line stays whole */
	}
	if (c < 0 && n == 0)
		return NULL;
	buf[n] = 0;
	return buf;
}

/* Shows the prompt and reads one line into buf. Returns NULL at end of input. */
static char *read_line(char *buf, size_t size)
{
	char cwd[256], prompt[300];
	line_too_long = false;
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "?");
	snprintf(prompt, sizeof prompt, "%s$ ", cwd);
	if (!interactive)
		return read_plain_line(buf, size);
	bool raw = term_raw(); /* before the prompt: nothing typed after it gets echoed */
	outs(prompt);
	if (!raw)
		return read_plain_line(buf, size);
	static struct editor e;
	e.len = e.pos = 0;
	e.too_long = false;
	e.buf[0] = 0;
	e.hist_pos = hist_count;
	int r;
	while ((r = edit_key(&e, read_key())) == 0)
		;
	term_cooked();
	if (r < 0) {
		outs("\n");
		return NULL;
	}
	line_too_long = e.too_long;
	snprintf(buf, size, "%s", e.buf);
	return buf;
}

/* ---- words and redirections ---- */

struct cmd {
	char *argv[ARGS_MAX + 1];
	int argc;
	char *out_path, *in_path; /* NULL: none */
	bool append;
	char store[LINE_MAX_ * 2]; /* the words, NUL-separated */
	size_t used;
};

static bool put_char(struct cmd *c, char ch)
{
	if (c->used + 1 >= sizeof c->store)
		return false;
	c->store[c->used++] = ch;
	return true;
}

static bool put_status(struct cmd *c)
{
	char num[16];
	snprintf(num, sizeof num, "%d", last_status);
	for (char *p = num; *p; p++)
		if (!put_char(c, *p))
			return false;
	return true;
}

/* Reads one word starting at *sp into c->store; advances *sp. Returns the
 * word, or NULL with *err set on an unfinished quote. */
static char *read_word(struct cmd *c, const char **sp, const char **err)
{
	const char *s = *sp;
	char *word = c->store + c->used;
	char quote = 0;
	for (; *s && (quote || (*s != ' ' && *s != '\t' && *s != '>' && *s != '<')); s++) {
		bool ok = true;
		if (quote == '\'' && *s != '\'')
			ok = put_char(c, *s);
		else if (*s == quote)
			quote = 0;
		else if (!quote && (*s == '\'' || *s == '"'))
			quote = *s;
		else if (*s == '$' && s[1] == '?') {
			ok = put_status(c);
			s++;
		} else if (*s == '\\' && s[1] && (!quote || strchr("\"\\$", s[1])))
			ok = put_char(c, *++s);
		else
			ok = put_char(c, *s);
		if (!ok) {
			*err = "line too long";
			return NULL;
		}
	}
	if (quote) {
		*err = "unfinished quote";
		return NULL;
	}
	put_char(c, 0);
	*sp = s;
	return word;
}

/* Splits line into c. Returns NULL, or an error message. */
static const char *parse_line(const char *s, struct cmd *c)
{
	const char *err = NULL;
	memset(c, 0, offsetof(struct cmd, store));
	c->used = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return NULL;
		char **target = NULL;
		if (*s == '>') {
			c->append = s[1] == '>';
			s += c->append ? 2 : 1;
			target = &c->out_path;
		} else if (*s == '<') {
			s++;
			target = &c->in_path;
		}
		while (target && (*s == ' ' || *s == '\t'))
			s++;
		if (target && (!*s || *s == '>' || *s == '<'))
			return "redirection without a file name";
		char *w = read_word(c, &s, &err);
		if (!w)
			return err;
		if (target)
			*target = w;
		else if (c->argc == ARGS_MAX)
			return "too many arguments";
		else
			c->argv[c->argc++] = w;
	}
}

/* ---- redirection ---- */

struct saved_fds {
	int fd[2]; /* copies of 0 and 1, or -1 */
};

/* Opens path onto descriptor target, keeping the old one in *sv. */
static int redirect(int target, const char *path, int flags, struct saved_fds *sv)
{
	int fd = open(path, flags, 0644);
	if (fd < 0) {
		fprintf(stderr, "sh: %s: %s\n", path, strerror(errno));
		return -1;
	}
	sv->fd[target] = dup(target);
	dup2(fd, target);
	close(fd);
	return 0;
}

static void restore_fds(struct saved_fds *sv)
{
	fflush(stdout);
	for (int i = 0; i < 2; i++)
		if (sv->fd[i] >= 0) {
			dup2(sv->fd[i], i);
			close(sv->fd[i]);
			sv->fd[i] = -1;
		}
}

static int apply_redirections(struct cmd *c, struct saved_fds *sv)
{
	sv->fd[0] = sv->fd[1] = -1;
	if (c->in_path && redirect(0, c->in_path, O_RDONLY, sv) < 0)
		return -1;
	int flags = O_WRONLY | O_CREAT | (c->append ? O_APPEND : O_TRUNC);
	if (c->out_path && redirect(1, c->out_path, flags, sv) < 0) {
		restore_fds(sv);
		return -1;
	}
	return 0;
}

/* ---- running programs ---- */

static const char *bin_dir(void)
{
	const char *d = getenv("OPTIOS_BIN"); /* for testing on a host */
	return d ? d : "/bin";
}

/* Where a name without a slash is looked for: the bin directory, then
 * BusyBox's applets (unless OPTIOS_BIN names another bin directory). */
static void find_program(const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", bin_dir(), name);
	if (!getenv("OPTIOS_BIN") && access(path, F_OK) < 0 && errno == ENOENT) {
		char usr[512];
		snprintf(usr, sizeof usr, "/usr/bin/%s", name);
		if (access(usr, F_OK) == 0)
			snprintf(path, size, "%s", usr);
	}
}

/* Starts argv[0] (a path, or a name found by find_program). Returns the pid
 * or a negative errno. */
static int spawn(char **argv, unsigned flags)
{
	char path[512];
	if (strchr(argv[0], '/'))
		snprintf(path, sizeof path, "%s", argv[0]);
	else
		find_program(argv[0], path, sizeof path);
	int pid = optios_spawn(path, argv, environ, flags);
	if (pid >= 0)
		return pid;
	if (errno != ENOSYS)
		return -errno;
	if (flags)
		return -ENOSYS;
	if (access(path, X_OK) < 0) /* posix_spawn reports this late, in the child */
		return -errno;
	posix_spawnattr_t attr; /* the child gets Ctrl+C back */
	sigset_t def;
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	int err = posix_spawn(&pid, path, NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	return err ? -err : pid;
}

static void report_spawn_error(const char *name, int err)
{
	if (err == -ENOENT) {
		fprintf(stderr, "sh: %s: command not found (try help)\n", name);
		last_status = 127;
	} else {
		/* the kernel's reason for a refusal (a missing grant, a bad manifest): whole,
		 * though a capability may name a 4 KiB path */
		char small[256] = "", *why = small;
		long n = optios_policy(OPTIOS_POLICY_WHY, NULL, NULL, small, sizeof small);
		if (n >= (long)sizeof small && (why = malloc((size_t)n + 1)) != NULL)
			optios_policy(OPTIOS_POLICY_WHY, NULL, NULL, why, (unsigned long)n + 1);
		else
			why = small;
		fprintf(stderr, "sh: %s: %s%s%s\n", name, strerror(-err), why[0] ? ": " : "", why);
		if (why != small)
			free(why);
		last_status = 126;
	}
}

/* Sets $? from a wait status as shells do: the exit status, or 128 + the
 * signal that ended it. report: say so when not 0. */
static void note_status(int st, const char *argv0, bool report)
{
	const char *slash = strrchr(argv0, '/'), *name = slash ? slash + 1 : argv0;
	if (WIFSIGNALED(st)) {
		last_status = 128 + WTERMSIG(st);
		if (report && WTERMSIG(st) != SIGPIPE) /* a pipeline's writer whose reader ended: quiet */
			fprintf(stderr, "%s: killed by signal %d\n", name, WTERMSIG(st));
	} else {
		last_status = WEXITSTATUS(st);
		if (report && last_status)
			fprintf(stderr, "%s: exited with status %d\n", name, last_status);
	}
}

/* ---- jobs: Ctrl+Z, fg, bg, jobs ----
 *
 * A job is what one line started: a program or a pipeline, one process
 * group (the first stage's). jobs[] holds the job the shell waits for and
 * those stopped (Ctrl+Z) or running in the background (bg). Invariant: a
 * slot is in use (pgid != 0) while one of its pids is not reaped; a reaped
 * stage's pid is 0. `current` is the job fg and bg take by default: the
 * last one stopped or resumed. The console's keys go to its newest program
 * (this shell sets no foreground group: docs/PROC.md), which is the job in
 * the foreground, so a stopped job's Ctrl+Z never reaches the shell.
 */
struct job {
	int pgid; /* 0: slot free */
	int pids[STAGES_MAX];
	char *argv0[STAGES_MAX]; /* each stage's name, for status lines */
	int n;
	bool stopped;
	bool has_tio; /* tio: the terminal's settings when it stopped */
	struct termios tio;
	char line[80]; /* what was typed, for jobs and fg */
};

static struct job jobs[JOBS_MAX];
static int current = -1;
static const char *typed_line = ""; /* the line being run */

static void job_destroy(struct job *j)
{
	for (int k = 0; k < j->n; k++)
		free(j->argv0[k]);
	if (current == j - jobs)
		current = -1;
	j->pgid = 0;
}

static struct job *job_create(const int *pids, char **argv0, int n)
{
	for (int i = 0; i < JOBS_MAX; i++) {
		struct job *j = &jobs[i];
		if (j->pgid)
			continue;
		memset(j, 0, sizeof *j);
		for (int k = 0; k < n; k++) {
			j->pids[k] = pids[k] > 0 ? pids[k] : 0;
			j->argv0[k] = strdup(argv0[k] ? argv0[k] : "?");
			if (!j->pgid && pids[k] > 0)
				j->pgid = pids[k];
		}
		j->n = n;
		snprintf(j->line, sizeof j->line, "%s", typed_line);
		if (!j->pgid) /* nothing started: no job */
			job_destroy(j);
		return j->pgid ? j : NULL;
	}
	return NULL;
}

/* Waits for every stage of j in the foreground: $? is the last stage's.
 * A stage stopped (Ctrl+Z: the whole group is) keeps the job, stopped. */
static void job_wait(struct job *j)
{
	for (int k = 0; k < j->n; k++) {
		int st;
		if (!j->pids[k])
			continue;
		while (waitpid(j->pids[k], &st, WUNTRACED) < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "sh: waitpid: %s\n", strerror(errno));
				j->pids[k] = 0;
				break;
			}
		}
		if (!j->pids[k])
			continue;
		if (WIFSTOPPED(st)) {
			j->stopped = true;
			j->has_tio = interactive && tcgetattr(0, &j->tio) == 0; /* a pager's raw mode */
			current = (int)(j - jobs);
			last_status = 128 + WSTOPSIG(st);
			printf("\n[%d]+  Stopped  %s\n", current + 1, j->line);
			return;
		}
		j->pids[k] = 0;
		if (k == j->n - 1)
			note_status(st, j->argv0[k], true);
	}
	job_destroy(j);
}

/* Runs the started stages (pids[i] < 0: did not start) as a job in the foreground. */
static void run_job(const int *pids, char **argv0, int n)
{
	struct job *j = job_create(pids, argv0, n);
	if (j) {
		job_wait(j);
		return;
	}
	int pgid = 0;
	for (int k = 0; k < n && !pgid; k++)
		pgid = pids[k] > 0 ? pids[k] : 0;
	for (int k = 0; k < n; k++) { /* no slot: a stop is undone, never waited on forever */
		int st, r = -1;
		while (pids[k] > 0 && (r = waitpid(pids[k], &st, WUNTRACED)) == pids[k] && WIFSTOPPED(st)) {
			fprintf(stderr, "sh: %d jobs already stopped or in the background: continuing it\n",
				JOBS_MAX);
			kill(-pgid, SIGCONT);
		}
		if (r == pids[k] && k == n - 1)
			note_status(st, argv0[k], true);
	}
}

/* A background job's stage ended (reaped by pid): true if pid was one. */
static bool job_reaped(int pid, int st)
{
	for (int i = 0; i < JOBS_MAX; i++) {
		struct job *j = &jobs[i];
		for (int k = 0; j->pgid && k < j->n; k++) {
			if (j->pids[k] != pid)
				continue;
			j->pids[k] = 0;
			bool left = false;
			for (int q = 0; q < j->n; q++)
				left |= j->pids[q] != 0;
			if (!left) {
				printf("[%d]   %s  %s\n", i + 1, WIFSIGNALED(st) ? "Killed" : "Done",
				       j->line);
				job_destroy(j);
			}
			return true;
		}
	}
	return false;
}

/* The job an argument names (%N or N), or the current one. */
static struct job *job_named(const char *who, int argc, char **argv)
{
	int i = current;
	if (argc > 1) {
		const char *a = argv[1][0] == '%' ? argv[1] + 1 : argv[1];
		char *end;
		long n = strtol(a, &end, 10);
		i = *end || n < 1 || n > JOBS_MAX ? -1 : (int)n - 1;
	}
	if (i < 0 || !jobs[i].pgid) {
		fprintf(stderr, "%s: %s: no such job\n", who, argc > 1 ? argv[1] : "current");
		return NULL;
	}
	return &jobs[i];
}

static int bi_fg(int argc, char **argv)
{
	struct job *j = job_named("fg", argc, argv);
	if (!j)
		return 1;
	printf("%s\n", j->line);
	fflush(stdout);
	if (j->has_tio) /* as it left it: less reads keys one by one */
		tcsetattr(0, TCSADRAIN, &j->tio);
	j->stopped = false;
	kill(-j->pgid, SIGCONT);
	job_wait(j);
	return last_status;
}

static int bi_bg(int argc, char **argv)
{
	struct job *j = job_named("bg", argc, argv);
	if (!j)
		return 1;
	j->stopped = false;
	current = (int)(j - jobs);
	printf("[%d]  %s &\n", current + 1, j->line);
	kill(-j->pgid, SIGCONT);
	return 0;
}

static int bi_jobs(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (int i = 0; i < JOBS_MAX; i++)
		if (jobs[i].pgid)
			printf("[%d]%c  %-8s %s\n", i + 1, i == current ? '+' : ' ',
			       jobs[i].stopped ? "Stopped" : "Running", jobs[i].line);
	return 0;
}

static void run_program(struct cmd *c)
{
	fflush(stdout);
	int pid = spawn(c->argv, 0);
	if (pid < 0) {
		report_spawn_error(c->argv[0], pid);
		return;
	}
	run_job(&pid, c->argv, 1);
}

/* ---- builtins ---- */

struct builtin {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static int bi_help(int argc, char **argv);

static int bi_cd(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/";
	if (argc > 2) {
		fprintf(stderr, "usage: cd [DIR]\n");
		return 2;
	}
	if (chdir(dir) < 0) {
		fprintf(stderr, "cd: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	return 0;
}

static int bi_pwd(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	char cwd[512];
	if (!getcwd(cwd, sizeof cwd)) {
		fprintf(stderr, "pwd: %s\n", strerror(errno));
		return 1;
	}
	printf("%s\n", cwd);
	return 0;
}

static int bi_exit(int argc, char **argv)
{
	fflush(stdout);
	exit(argc > 1 ? atoi(argv[1]) : last_status);
}

static int bi_echo(int argc, char **argv)
{
	int i = 1;
	bool newline = true;
	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		newline = false;
		i++;
	}
	for (; i < argc; i++)
		printf("%s%s", argv[i], i + 1 < argc ? " " : "");
	if (newline)
		printf("\n");
	return 0;
}

static int bi_history(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (int i = 0; i < hist_count; i++)
		printf("%3d  %s\n", i + 1, history[i]);
	return 0;
}

/* The console (1-based) pid runs on, or 0 when unknown. */
static unsigned console_of(int pid)
{
	static struct optios_proc_info procs[64];
	long n = optios_proc_list(procs, 64);
	for (long i = 0; i < n && i < 64; i++)
		if (procs[i].pid == pid && procs[i].console != UINT32_MAX)
			return procs[i].console + 1;
	return 0;
}

/* Collects programs begun with start that have ended, so none stays a zombie. */
static void reap_started(void)
{
	int st, pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (job_reaped(pid, st))
			continue;
		if (WIFSIGNALED(st))
			printf("[pid %d ended by signal %d]\n", pid, WTERMSIG(st));
		else
			printf("[pid %d exited with status %d]\n", pid, WEXITSTATUS(st));
	}
}

static int bi_start(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: start PROGRAM [ARGS...]\n");
		return 2;
	}
	int pid = spawn(argv + 1, OPTIOS_SPAWN_NEW_CONSOLE);
	if (pid == -EBUSY) {
		struct optios_console_info ci;
		unsigned max = optios_console_info(&ci) == 0 ? ci.count : 1;
		fprintf(stderr, "no free console: foreground.max is %u (set in /etc/kernel.conf)\n", max);
		return 1;
	}
	if (pid < 0) {
		report_spawn_error(argv[1], pid);
		return last_status;
	}
	printf("started %s (pid %d) on console %u; Alt+F%u or \"console %u\" shows it\n", argv[1], pid,
	       console_of(pid), console_of(pid), console_of(pid));
	return 0;
}

static int bi_console(int argc, char **argv)
{
	struct optios_console_info ci;
	if (optios_console_info(&ci) < 0) {
		fprintf(stderr, "console: %s\n", strerror(errno));
		return 1;
	}
	if (argc < 2) {
		printf("console %u of %u (showing %u)\n", ci.current + 1, ci.count, ci.active + 1);
		return 0;
	}
	char *end;
	long n = strtol(argv[1], &end, 10);
	if (*end || n < 1 || n > (long)ci.count) {
		fprintf(stderr, "usage: console N (1..%u)\n", ci.count);
		return 2;
	}
	if (optios_console_switch((unsigned)(n - 1)) < 0) {
		fprintf(stderr, "console: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

static const struct builtin builtins[] = {
	{"cd", bi_cd, "cd [DIR]: change the working directory (default /)"},
	{"pwd", bi_pwd, "pwd: print the working directory"},
	{"echo", bi_echo, "echo [-n] WORDS: print the words"},
	{"exit", bi_exit, "exit [STATUS]: leave the shell"},
	{"help", bi_help, "help: list every command"},
	{"history", bi_history, "history: the last 50 lines typed (up/down arrows recall them)"},
	{"start", bi_start, "start PROGRAM [ARGS]: run a program on a free console"},
	{"console", bi_console, "console [N]: show console N (as Alt+FN), or which one this is"},
	{"jobs", bi_jobs, "jobs: the jobs stopped (Ctrl+Z) or running in the background"},
	{"fg", bi_fg, "fg [%N]: continue a job in the foreground"},
	{"bg", bi_bg, "bg [%N]: continue a stopped job in the background"},
};

/* One line for each program in /bin (one more for each other form of its
 * command line); programs missing here still show up. */
static const struct {
	const char *name, *help;
} program_help[] = {
	{"busybox", "busybox APPLET [ARGS]: BusyBox's tools (grep, sed, awk, sort, find, tar, ...; busybox --list);\n"
		    "  an applet not in /bin runs by its name (found in /usr/bin)"},
	{"cat", "cat FILE...: print files"},
	{"clock", "clock: an analog clock on the screen (any key or Ctrl+C ends it)"},
	{"echo", "echo WORDS: print the words"},
	{"emit", "emit [-n COUNT] TOPIC [PAYLOAD]: raise an event (app:NAME) for the handlers"},
	{"handler", "handler add PATH: register an event handler\n"
		    "  handler remove NAME: unregister one\n"
		    "  handler retry NAME [N|all]: re-inject its dead letters"},
	{"handlers", "handlers [-v]: list handlers: state, runs, failures, snapshot (-v: queues, dead letters)"},
	{"hello", "hello [WORDS]: greet (the SDK example)"},
	{"log", "log [-h HANDLER] [-t TOPIC] [-n LAST] [-a]: the event log (events, runs, commits)\n"
		"  log verify [FILE]: check the log's audit chain (or a dump's)\n"
		"  log dump FILE: write the log's raw records to FILE"},
	{"ls", "ls [-l] [PATH...]: list directories"},
	{"lspci", "lspci: list PCI devices, their drivers and interrupts"},
	{"lua", "lua [SCRIPT [ARG...]]: Lua 5.4 (docs/USERLAND.md)"},
	{"mem", "mem: memory in use and free"},
	{"mkdir", "mkdir [-p] DIR...: make directories"},
	{"mv", "mv FROM TO: rename or move a file or directory"},
	{"net", "net [INTERFACE]: network interfaces: MAC, link, address (DHCP or static), DNS, counters"},
	{"ping", "ping [-c COUNT] [-s SIZE] [-W SECONDS] [-i MS] HOST: ICMP echo (COUNT 0: until Ctrl+C)"},
	{"policy", "policy [show NAME | who-can CAP | on TOPIC]: permissions (alone: the policy)\n"
		   "  policy grant NAME CAP: grant NAME (or *) a capability\n"
		   "  policy revoke NAME CAP: remove exactly that grant"},
	{"poweroff", "poweroff: turn the machine off"},
	{"ps", "ps: list processes"},
	{"reboot", "reboot: restart the machine"},
	{"rm", "rm [-r] PATH...: remove files (and directories with -r)"},
	{"sensors", "sensors: sensor devices: last readings, rates, error counters (/etc/sensors.conf)"},
	{"sh", "sh [FILE [ARG...]]: this shell; a script FILE runs in BusyBox's sh (loops, functions)"},
	{"sqlite3", "sqlite3 [DB [SQL]]: SQLite 3.40's shell (docs/USERLAND.md)"},
	{"uptime", "uptime: time since boot"},
};

static const char *describe_program(const char *name)
{
	for (size_t i = 0; i < sizeof program_help / sizeof program_help[0]; i++)
		if (strcmp(program_help[i].name, name) == 0)
			return program_help[i].help;
	return NULL;
}

static int bi_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("Builtins:\n");
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		printf("  %s\n", builtins[i].help);
	printf("Programs in %s:\n", bin_dir());
	struct dirent **names;
	int n = scandir(bin_dir(), &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		const char *h = describe_program(name);
		if (name[0] != '.')
			printf(h ? "  %s\n" : "  %s: (no description)\n", h ? h : name);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	printf("Keys: left/right, Home/End, Ctrl+A/E/U, up/down history; Ctrl+C ends a program.\n"
	       "Quotes '...' \"...\", \\ escapes, > file, >> file, < file; $? is the last status.\n");
	return 0;
}

static const struct builtin *find_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

/* ---- pipelines ---- */

/* Splits line at each '|' outside quotes into stages (in buf, NUL-ended).
 * Returns how many, or -1: too many, or an empty stage. */
static int split_pipeline(const char *line, char *buf, size_t size, char *stage[STAGES_MAX])
{
	snprintf(buf, size, "%s", line);
	int n = 0;
	char quote = 0, *start = buf;
	for (char *s = buf;; s++) {
		if (*s && quote) {
			if (*s == quote)
				quote = 0;
			else if (*s == '\\' && quote == '"' && s[1])
				s++;
			continue;
		}
		if (*s == '\'' || *s == '"') {
			quote = *s;
			continue;
		}
		if (*s == '\\' && s[1]) {
			s++;
			continue;
		}
		if (*s && *s != '|')
			continue;
		bool end = !*s;
		*s = 0;
		if (n == STAGES_MAX || strspn(start, " \t") == strlen(start))
			return -1;
		stage[n++] = start;
		start = s + 1;
		if (end)
			return n;
	}
}

static const struct builtin *find_builtin(const char *name);

/* Starts one stage with the shell's descriptors 0 and 1 as they are now
 * (and its own redirections): a program, or a builtin in a forked copy of
 * the shell. Returns the pid, or -1 (reported; $? set). */
static int start_stage(struct cmd *c)
{
	struct saved_fds sv;
	if (c->argc == 0 || apply_redirections(c, &sv) < 0) {
		if (c->argc == 0)
			fprintf(stderr, "sh: empty command in a pipeline\n");
		last_status = c->argc == 0 ? 2 : 1;
		return -1;
	}
	fflush(stdout);
	const struct builtin *b = find_builtin(c->argv[0]);
	int pid;
	if (b) {
		pid = fork();
		if (pid == 0) {
			int r = b->run(c->argc, c->argv);
			fflush(stdout);
			_exit(r);
		}
		if (pid < 0)
			pid = -errno;
	} else {
		pid = spawn(c->argv, 0);
	}
	restore_fds(&sv);
	if (pid < 0) {
		report_spawn_error(c->argv[0], pid);
		return -1;
	}
	return pid;
}

/* a | b | c: each stage's output is the next one's input through a pipe;
 * all run at once; $? is the last one's status. */
static void run_pipeline(char *stage[], int n)
{
	static struct cmd cs[STAGES_MAX];
	int pids[STAGES_MAX], in = -1;
	int save0 = dup(0), save1 = dup(1);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		pids[i] = -1;
	for (int i = 0; i < n; i++) {
		const char *err = parse_line(stage[i], &cs[i]);
		if (err) {
			fprintf(stderr, "sh: %s\n", err);
			last_status = 2;
			break;
		}
		int p[2] = {-1, -1};
		if (i + 1 < n && pipe2(p, O_CLOEXEC) < 0) {
			fprintf(stderr, "sh: pipe: %s\n", strerror(errno));
			break;
		}
		dup2(in >= 0 ? in : save0, 0);
		dup2(i + 1 < n ? p[1] : save1, 1);
		if (in >= 0)
			close(in);
		if (p[1] >= 0)
			close(p[1]);
		in = p[0];
		pids[i] = start_stage(&cs[i]);
		if (pids[i] > 0) /* one process group, the first stage's: Ctrl+C ends them all */
			setpgid(pids[i], pids[0] > 0 ? pids[0] : pids[i]);
	}
	if (in >= 0)
		close(in);
	dup2(save0, 0);
	dup2(save1, 1);
	close(save0);
	close(save1);
	int failed = last_status; /* set by the last stage that could not start */
	char *names[STAGES_MAX];
	for (int i = 0; i < n; i++)
		names[i] = cs[i].argc ? cs[i].argv[0] : "?";
	run_job(pids, names, n);
	if (pids[n - 1] < 0)
		last_status = failed;
}

/* ---- the loop ---- */

static void run_line(const char *line)
{
	static struct cmd c;
	static char buf[LINE_MAX_];
	char *stage[STAGES_MAX];
	typed_line = line;
	if (strchr(line, '|')) {
		int n = split_pipeline(line, buf, sizeof buf, stage);
		if (n < 0) {
			fprintf(stderr, "sh: a pipeline needs a command on each side of | (at most %d)\n",
				STAGES_MAX);
			last_status = 2;
			return;
		}
		if (n > 1) {
			run_pipeline(stage, n);
			return;
		}
	}
	const char *err = parse_line(line, &c);
	if (err) {
		fprintf(stderr, "sh: %s\n", err);
		last_status = 2;
		return;
	}
	if (c.argc == 0 && !c.out_path && !c.in_path)
		return;
	struct saved_fds sv;
	if (apply_redirections(&c, &sv) < 0) {
		last_status = 1;
		return;
	}
	const struct builtin *b = c.argc ? find_builtin(c.argv[0]) : NULL;
	if (b)
		last_status = b->run(c.argc, c.argv);
	else if (c.argc)
		run_program(&c);
	else
		last_status = 0; /* "> file" alone creates it */
	restore_fds(&sv);
}

/*
 * sh FILE [ARG...]: a script is BusyBox's shell's (ash: loops, functions,
 * ...), which this shell's language is not. It runs in this process, as
 * `busybox sh FILE ARG...` (argv[0] "sh" picks the applet); returns only if
 * that exec fails.
 */
static int run_script(int argc, char **argv)
{
	static const char busybox[] = "/bin/busybox";
	char **args = calloc((size_t)argc + 1, sizeof *args);
	if (!args) {
		fprintf(stderr, "sh: %s: out of memory\n", argv[1]);
		return 2;
	}
	args[0] = "sh";
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	execv(busybox, args);
	fprintf(stderr, "sh: %s: cannot run it with %s: %s\n", argv[1], busybox, strerror(errno));
	free(args);
	return 127;
}

int main(int argc, char **argv)
{
	static char line[LINE_MAX_];
	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		run_line(argv[2]);
		return last_status;
	}
	if (argc > 1 && argv[1][0] != '-')
		return run_script(argc, argv);
	signal(SIGINT, SIG_IGN); /* Ctrl+C is for the program we wait for */
	setvbuf(stdout, NULL, _IOLBF, 0);
	interactive = isatty(0) && tcgetattr(0, &cooked) == 0;
	while (reap_started(), read_line(line, sizeof line)) {
		if (line_too_long) { /* never run a line cut short: its end may be a redirection */
			fprintf(stderr, "sh: line longer than %d bytes: not run\n", LINE_MAX_ - 1);
			last_status = 2;
			continue;
		}
		if (interactive)
			hist_add(line);
		run_line(line);
		fflush(stdout);
	}
	return last_status;
}
