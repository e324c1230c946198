/* cli.h: the subcommands of the `hakmem` command, one per cmd_<name>.c.
   Each gets argv with argv[0] = the subcommand name and returns the exit status. */
#ifndef HAK_CLI_H
#define HAK_CLI_H

int hak_cmd_run(int argc, char** argv);    // cmd_run.c   (runtime/vm)
int hak_cmd_json(int argc, char** argv);   // cmd_json.c  (runtime/json)
int hak_cmd_mir(int argc, char** argv);    // cmd_mir.c   (runtime/mir)
int hak_cmd_bench(int argc, char** argv);  // cmd_bench.c (bench driver)
int hak_cmd_report(int argc, char** argv); // cmd_report.c (profile data files: prof_*.c)
int hak_cmd_prof(int argc, char** argv);   // cmd_prof.c   (a program under libhakmem.so, profiled)

#endif
