/* cmd_report.c: `hakmem report FILE.hprof [--format F] [-o OUT] [--type T] [--top N] [--skip RE]...`

   Reads a profile data file written by libhakmem (docs/profile-format.md),
   names its addresses with addr2line and renders it: text (the default, on
   stdout), json, svg, folded or pprof. The format is --format's, else OUT's
   extension (.json, .svg, .folded, .pb.gz/.pprof/.pb, .txt; any other is
   text). OUT is written under a temporary name and renamed into place. Exit
   status 0, 1 when the file cannot be read or OUT cannot be written, 2 for
   bad usage (an unknown format lists the known ones). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "prof.h"

static const cli_opt_t rep_opts[] = {
    {"format", required_argument, PROF_OPT_FORMAT, "F",
     "text, json, svg, folded or pprof (default: from OUT's extension, else text)"},
    {"output", required_argument, 'o', "OUT", "write to OUT instead of standard output"},
    {"type", required_argument, PROF_OPT_TYPE, "T",
     "value of folded and svg: alloc_space, alloc_objects, inuse_space (default), inuse_objects"},
    {"top", required_argument, PROF_OPT_TOP, "N", "rows of the text report's tables (default 20)"},
    {"skip", required_argument, PROF_OPT_SKIP, "RE",
     "drop frames matching RE (whole name, POSIX ERE) and their callees; repeatable"},
    {"help", no_argument, PROF_OPT_HELP, NULL, "this help"},
    {NULL, 0, 0, NULL, NULL},
};

#define REP_USAGE "usage: hakmem report FILE.hprof [--format F] [-o OUT] [--type T] [--top N] [--skip RE]..."

static int rep_usage(void) {
  fprintf(stderr, "%s\n(hakmem report --help lists the options)\n", REP_USAGE);
  return 2;
}

static int rep_bad_format(const char* who, const char* f) {
  fprintf(stderr, "%s: unknown format '%s' (known: text, json, svg, folded, pprof)\n", who, f);
  return 2;
}

int hak_cmd_report(int argc, char** argv) {
  struct option longopts[sizeof(rep_opts) / sizeof(rep_opts[0])];
  char shortopts[64];
  cli_opt_build(rep_opts, longopts, shortopts, sizeof(shortopts), CLI_PERMUTE);
  prof_opts_t o = {"hakmem report", PROF_INUSE_SPACE, 20, NULL, 0, false, NULL};
  const char* out = NULL;
  const char* format = NULL;
  int c, status = -1;
  optind = 1;
  opterr = 0;
  while (status < 0 && (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
    if (c == 'o')
      out = optarg;
    else if (c == PROF_OPT_FORMAT)
      format = optarg;
    else if (c == PROF_OPT_HELP) {
      cli_opt_help(stdout, REP_USAGE, rep_opts,
                   "FILE is a profile data file (`hakmem prof`, or HAKMEM_PROFILE_OUT=F.hprof); docs/profiling.md.\n");
      status = 0;
    } else if (c == PROF_OPT_TYPE || c == PROF_OPT_TOP || c == PROF_OPT_SKIP) {
      if (!prof_opt_common(c, optarg, &o)) status = 2;
    } else {
      cli_opt_error(o.who, c, argv);
      status = rep_usage();
    }
  }
  if (status < 0 && optind != argc - 1) status = rep_usage();
  prof_format_t fmt = PROF_FMT_TEXT;
  if (status < 0 && format) {
    fmt = prof_format_from_name(format);
    if (fmt == PROF_FMT_NONE || fmt == PROF_FMT_HPROF) status = rep_bad_format(o.who, format);
  } else if (status < 0 && out) {
    fmt = prof_format_from_path(out);
    if (fmt == PROF_FMT_NONE || fmt == PROF_FMT_HPROF) fmt = PROF_FMT_TEXT;
  }
  if (status < 0) status = prof_report_file(argv[optind], out, fmt, &o);
  free(o.skip);
  return status;
}
