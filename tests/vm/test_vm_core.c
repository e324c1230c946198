/* test_vm_core.c: the interpreter on hand-written bytecode: every opcode,
   value semantics (int wrap, truncating division, mixed compares, string and
   identity equality), calls, errors with tracebacks, recursion limits, and the
   collector (each program also runs under GC stress and must agree). Built
   twice: with computed-goto dispatch (hvm) and switch dispatch (hvm_tests). */
#include "vm_test.h"

static void test_fib(void** state) {
  vm_expect_out(
      "fn <main> 0\n"
      "LOADI 0 25\n"
      "CALLF 0 0 1 fib\n"
      "CALLB 0 0 1 print\n"
      "RETNIL\n"
      "fn fib 1\n"
      "JGEI 0 2 1 @rec\n"
      "RET 0\n"
      "@rec:\n"
      "ADDI 1 0 -1\n"
      "CALLF 1 1 1 fib\n"
      "ADDI 2 0 -2\n"
      "CALLF 2 2 1 fib\n"
      "ADD 0 1 2\n"
      "RET 0\n",
      "75025\n");
}

static void test_loads_and_print(void** state) {
  vm_expect_out(
      "fn <main> 0\n"
      "LOADNIL 0\n"
      "LOADTRUE 1\n"
      "LOADFALSE 2\n"
      "LOADI 3 -7\n"
      "LOADF 4 3\n"
      "LOADK 5 \"s t\"\n"
      "LOADK 6 0.1\n"
      "LOADK 7 1e16\n"
      "LOADK 8 -0.0\n"
      "LOADK 9 2e-07\n"
      "LOADK 10 9223372036854775807\n"
      "CALLB 0 0 11 print\n"
      "CALLB 0 0 0 print\n"
      "RETNIL\n",
      "nil true false -7 3.0 s t 0.1 1e+16 -0.0 2e-07 9223372036854775807\n\n");
}

static void test_int_arith(void** state) {
  vm_expect_out(
      "fn <main> 0\n"
      "LOADK 0 9223372036854775807\n"
      "ADDI 1 0 1\n"         // wraps
      "LOADI 2 -7\n"
      "LOADI 3 2\n"
      "DIV 4 2 3\n"          // -3 (truncates)
      "MOD 5 2 3\n"          // -1
      "MUL 6 0 3\n"          // wraps to -2
      "SUB 7 2 3\n"          // -9
      "LOADK 8 -9223372036854775808\n"
      "LOADI 9 -1\n"
      "DIV 10 8 9\n"         // wraps to INT64_MIN, no trap
      "MOD 11 8 9\n"         // 0
      "UNM 12 8\n"           // wraps
      "CALLB 0 1 12 print\n"
      "RETNIL\n",
      "-9223372036854775808 -7 2 -3 -1 -2 -9 -9223372036854775808 -1 -9223372036854775808 0 "
      "-9223372036854775808\n");
}

static void test_float_arith(void** state) {
  vm_expect_out(
      "fn <main> 0\n"
      "LOADI 0 7\n"
      "LOADK 1 2.0\n"
      "DIV 2 0 1\n"     // 3.5
      "ADD 3 0 1\n"     // 9.0
      "MOD 4 0 1\n"     // 1.0
      "LOADK 5 -7.5\n"
      "LOADI 6 2\n"
      "MOD 7 5 6\n"     // fmod: -1.5
      "MULK 8 1 0.25\n" // 0.5
      "SUBK 9 0 0.5\n"  // 6.5
      "DIVK 10 0 4\n"   // int 1
      "LOADK 11 0.0\n"
      "DIV 12 1 11\n"   // inf
      "UNM 13 12\n"     // -inf
      "SUB 14 12 12\n"  // nan
      "CALLB 0 2 13 print\n"
      "RETNIL\n",
      "3.5 9.0 1.0 -7.5 2 -1.5 0.5 6.5 1 0.0 inf -inf nan\n");
}

static void test_compare(void** state) {
  vm_expect_out(
      "fn <main> 0\n"
      "LOADI 0 1\n"
      "LOADK 1 1.0\n"
      "EQ 20 0 1\n"      // 1 == 1.0
      "LOADK 3 \"a\"\n"
      "LOADK 4 \"b\"\n"
      "LT 21 3 4\n"      // true
      "LE 22 4 3\n"      // false
      "LOADK 7 9007199254740993\n"
      "LOADK 8 9007199254740992.0\n"
      "LT 23 8 7\n"      // exact: true
      "EQ 24 7 8\n"      // false
      "LOADK 11 nil\n"
      "NE 25 11 0\n"     // true
      "NEWARR 13 0 0\n"
      "NEWARR 14 0 0\n"
      "EQ 26 13 14\n"    // identity: false
      "EQ 27 13 13\n"    // true
      "NOT 28 11\n"      // true
      "NOT 29 0\n"       // false: 1 is truthy
      "LOADK 5 \"abc\"\n"
      "LOADK 6 \"abd\"\n"
      "LT 30 5 6\n"      // true
      "LOADK 9 \"ab\"\n"
      "LT 31 9 5\n"      // a prefix is smaller
      "LOADI 10 0\n"
      "NOT 32 10\n"      // false: 0 is truthy
      "CALLB 0 20 13 print\n"
      "RETNIL\n",
      "true true false true false true false true true false true true false\n");
}

static void test_branches(void** state) {
  // counts how many branches are taken among a set of fused compares
  vm_expect_out(
      "fn <main> 0\n"
      "LOADI 0 0\n"      // counter
      "LOADI 1 5\n"
      "LOADK 2 5.0\n"
      "LOADK 3 nan\n"
      "JEQ 1 2 1 @a\n"   // 5 == 5.0 taken
      "ADDI 0 0 100\n"
      "@a:\n"
      "JLT 1 2 0 @b\n"   // not (5 < 5.0) taken
      "ADDI 0 0 100\n"
      "@b:\n"
      "JLE 3 1 1 @c\n"   // nan <= 5 false: not taken
      "ADDI 0 0 1\n"
      "@c:\n"
      "JLE 3 1 0 @d\n"   // not (nan <= 5): taken
      "ADDI 0 0 100\n"
      "@d:\n"
      "JEQI 1 5 1 @e\n"
      "ADDI 0 0 100\n"
      "@e:\n"
      "JLTI 1 6 1 @f\n"
      "ADDI 0 0 100\n"
      "@f:\n"
      "JGTI 2 4 1 @g\n"
      "ADDI 0 0 100\n"
      "@g:\n"
      "JGEI 1 6 1 @h\n"  // not taken
      "ADDI 0 0 1\n"
      "@h:\n"
      "JLEI 1 -1 1 @i\n" // not taken
      "ADDI 0 0 1\n"
      "@i:\n"
      "JEQK 3 nil 0 @j\n" // nan != nil: taken
      "ADDI 0 0 100\n"
      "@j:\n"
      "LOADFALSE 4\n"
      "JT 4 @k\n"
      "ADDI 0 0 1\n"
      "@k:\n"
      "JF 4 @l\n"
      "ADDI 0 0 100\n"
      "@l:\n"
      "JMP @m\n"
      "ADDI 0 0 100\n"
      "@m:\n"
      "CALLB 0 0 1 print\n"
      "RETNIL\n",
      "4\n");
}

static void test_range_loop(void** state) {
  // sum of range(0, 10), range(10, 0, -3) and an empty range
  vm_expect_out(
      "fn <main> 0\n"
      "LOADI 5 0\n"
      "LOADI 0 0\n"
      "LOADI 1 10\n"
      "LOADI 2 1\n"
      "FORPREP 0 @end1\n"
      "@body1:\n"
      "ADD 5 5 3\n"
      "FORLOOP 0 @body1\n"
      "@end1:\n"
      "LOADI 0 10\n"
      "LOADI 1 0\n"
      "LOADI 2 -3\n"
      "FORPREP 0 @end2\n"
      "@body2:\n"
      "MUL 6 3 3\n"
      "ADD 5 5 6\n"
      "FORLOOP 0 @body2\n"
      "@end2:\n"
      "LOADI 0 3\n"
      "LOADI 1 3\n"
      "LOADI 2 1\n"
      "FORPREP 0 @end3\n"
      "@body3:\n"
      "ADDI 5 5 100\n"
      "FORLOOP 0 @body3\n"
      "@end3:\n"
      "CALLB 5 5 1 print\n"
      "RETNIL\n",
      "211\n");  // 45 + (100+49+16+1)
}

static void test_range_extremes(void** state) {
  // ranges at the edges of int64 must not overflow: 2 + 2 iterations
  vm_expect_out(
      "fn <main> 0\n"
      "LOADI 5 0\n"
      "LOADK 0 9223372036854775805\n"
      "LOADK 1 9223372036854775807\n"
      "LOADI 2 1\n"
      "FORPREP 0 @end\n"
      "@body:\n"
      "ADDI 5 5 1\n"
      "FORLOOP 0 @body\n"
      "@end:\n"
      "LOADK 0 -9223372036854775806\n"
      "LOADK 1 -9223372036854775808\n"
      "LOADI 2 -1\n"
      "FORPREP 0 @end2\n"
      "@body2:\n"
      "ADDI 5 5 1\n"
      "MOVE 6 3\n"
      "FORLOOP 0 @body2\n"
      "@end2:\n"
      "CALLB 5 5 2 print\n"
      "RETNIL\n",
      "4 -9223372036854775807\n");
}

static void test_range_errors(void** state) {
  vm_expect_error(
      "fn <main> 0\n"
      "LOADI 0 0\n"
      "LOADI 1 10\n"
      "LOADI 2 0\n"
      "FORPREP 0 @end\n"
      "@end:\n"
      "RETNIL\n",
      "t.hk:5: runtime error: range() step must not be 0");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADI 0 0\n"
      "LOADK 1 1.5\n"
      "LOADI 2 1\n"
      "FORPREP 0 @end\n"
      "@end:\n"
      "RETNIL\n",
      "t.hk:5: runtime error: range() arguments must be ints, not float");
}

static void test_arrays(void** state) {
  vm_expect_out(
      "fn <main> 0\n"
      "LOADI 1 1\n"
      "LOADK 2 \"x\"\n"
      "LOADNIL 3\n"
      "NEWARR 0 1 3\n"
      "LOADI 4 2\n"
      "GETINDEX 5 0 4\n"      // nil
      "GETINDEXI 6 0 1\n"     // "x"
      "LOADI 7 9\n"
      "SETINDEX 0 4 7\n"      // a[2] = 9
      "SETINDEXI 0 0 2\n"     // a[0] = "x"
      "APPEND 0 7\n"          // push 9
      "CALLB 8 0 1 len\n"
      "CALLB 9 0 1 pop\n"
      "MOVE 10 0\n"
      "LOADI 11 9\n"
      "CALLB 11 10 2 push\n"  // push(a, a[...]): arg window R10..R11
      "CALLB 0 0 1 print\n"
      "MOVE 0 5\n"
      "MOVE 1 6\n"
      "MOVE 2 8\n"
      "MOVE 3 9\n"
      "CALLB 0 0 4 print\n"
      "RETNIL\n",
      "[\"x\",\"x\",9,9]\nnil x 4 9\n");
}

static void test_array_errors(void** state) {
  vm_expect_error(
      "fn <main> 0\n"
      "NEWARR 0 0 0\n"
      "LOADI 1 0\n"
      "GETINDEX 2 0 1\n"
      "RETNIL\n",
      "t.hk:4: runtime error: array index 0 out of range (length 0)");
  vm_expect_error(
      "fn <main> 0\n"
      "NEWARR 0 0 0\n"
      "LOADI 1 -1\n"
      "SETINDEX 0 1 1\n"
      "RETNIL\n",
      "t.hk:4: runtime error: array index -1 out of range (length 0)");
  vm_expect_error(
      "fn <main> 0\n"
      "NEWARR 0 0 0\n"
      "LOADK 1 \"k\"\n"
      "GETINDEX 2 0 1\n"
      "RETNIL\n",
      "t.hk:4: runtime error: array index must be an int, not string");
  vm_expect_error(
      "fn <main> 0\n"
      "NEWARR 0 0 0\n"
      "CALLB 1 0 1 pop\n"
      "RETNIL\n",
      "t.hk:3: runtime error: pop() from an empty array");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADI 0 3\n"
      "GETINDEXI 1 0 0\n"
      "RETNIL\n",
      "t.hk:3: runtime error: cannot index int");
}

static void test_maps(void** state) {
  vm_expect_out(
      "fn <main> 0\n"
      "LOADK 1 \"b\"\n"
      "LOADI 2 1\n"
      "LOADK 3 \"a\"\n"
      "LOADI 4 2\n"
      "NEWMAP 0 1 2\n"         // {"b": 1, "a": 2}
      "LOADI 5 7\n"
      "LOADK 6 \"seven\"\n"
      "SETINDEX 0 5 6\n"       // m[7] = "seven"
      "SETFIELD 0 \"c\" 5\n"   // m.c = 7
      "GETFIELD 7 0 \"a\"\n"   // 2
      "LOADK 8 7.0\n"
      "GETINDEX 9 0 8\n"       // m[7.0] is m[7]
      "GETFIELD 10 0 \"zz\"\n" // nil
      "CALLB 11 0 1 len\n"     // 4
      "MOVE 12 0\n"
      "LOADK 13 \"b\"\n"
      "CALLB 12 12 2 del\n"
      "MOVE 14 0\n"
      "LOADK 15 \"b\"\n"
      "CALLB 14 14 2 has\n"    // false
      "SETFIELD 0 \"b\" 5\n"   // re-added at the end
      "CALLB 16 0 1 keys\n"
      "MOVE 17 16\n"
      "CALLB 0 0 1 print\n"
      "MOVE 0 7\n"
      "MOVE 1 9\n"
      "MOVE 2 10\n"
      "MOVE 3 11\n"
      "MOVE 4 14\n"
      "MOVE 5 17\n"
      "CALLB 0 0 6 print\n"
      "RETNIL\n",
      "{\"a\":2,\"7\":\"seven\",\"c\":7,\"b\":7}\n2 seven nil 4 false [\"a\",7,\"c\",\"b\"]\n");
}

static void test_map_many(void** state) {
  // 20000 int keys in, every other one deleted, then looked up; grows, compacts, indexes
  vm_expect_out(
      "fn <main> 0\n"
      "NEWMAP 10 0 0\n"
      "LOADI 0 0\n"
      "LOADI 1 20000\n"
      "LOADI 2 1\n"
      "FORPREP 0 @e1\n"
      "@b1:\n"
      "MULK 5 3 7919\n"
      "SETINDEX 10 5 3\n"
      "FORLOOP 0 @b1\n"
      "@e1:\n"
      "LOADI 0 0\n"
      "LOADI 1 20000\n"
      "LOADI 2 2\n"
      "FORPREP 0 @e2\n"
      "@b2:\n"
      "MOVE 6 10\n"
      "MULK 7 3 7919\n"
      "CALLB 6 6 2 del\n"
      "FORLOOP 0 @b2\n"
      "@e2:\n"
      "LOADI 11 0\n"
      "LOADI 0 0\n"
      "LOADI 1 20000\n"
      "LOADI 2 1\n"
      "FORPREP 0 @e3\n"
      "@b3:\n"
      "MULK 5 3 7919\n"
      "GETINDEX 6 10 5\n"
      "JEQK 6 nil 1 @skip\n"
      "ADD 11 11 6\n"
      "@skip:\n"
      "FORLOOP 0 @b3\n"
      "@e3:\n"
      "CALLB 12 10 1 len\n"
      "MOVE 13 11\n"
      "CALLB 12 12 2 print\n"
      "RETNIL\n",
      "10000 100000000\n");
}

static void test_map_errors(void** state) {
  vm_expect_error(
      "fn <main> 0\n"
      "NEWMAP 0 0 0\n"
      "LOADK 1 1.5\n"
      "GETINDEX 2 0 1\n"
      "RETNIL\n",
      "t.hk:4: runtime error: map key must be a string or an int, not float");
  vm_expect_error(
      "fn <main> 0\n"
      "NEWMAP 0 0 0\n"
      "NEWARR 1 0 0\n"
      "SETINDEX 0 1 1\n"
      "RETNIL\n",
      "t.hk:4: runtime error: map key must be a string or an int, not array");
}

static void test_iteration(void** state) {
  vm_expect_out(
      "fn <main> 0\n"
      "LOADI 4 10\n"
      "LOADI 5 20\n"
      "LOADI 6 30\n"
      "NEWARR 0 4 3\n"
      "LOADI 10 0\n"
      "ITERPREP 0 @next\n"
      "@body:\n"
      "ADD 10 10 2\n"
      "@next:\n"
      "ITERNEXT 0 @body\n"
      "LOADK 4 \"x\"\n"
      "LOADI 5 1\n"
      "LOADK 6 \"y\"\n"
      "LOADI 7 2\n"
      "NEWMAP 0 4 2\n"
      "SETFIELD 0 \"z\" 5\n"
      "MOVE 11 0\n"
      "LOADK 12 \"y\"\n"
      "CALLB 11 11 2 del\n"
      "NEWARR 12 0 0\n"
      "ITERPREP 0 @n2\n"
      "@b2:\n"
      "APPEND 12 2\n"
      "@n2:\n"
      "ITERNEXT 0 @b2\n"
      "CALLB 10 10 3 print\n"
      "RETNIL\n",
      "60 nil [\"x\",\"z\"]\n");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADK 0 \"abc\"\n"
      "ITERPREP 0 @n\n"
      "@n:\n"
      "ITERNEXT 0 @n\n"
      "RETNIL\n",
      "t.hk:3: runtime error: cannot iterate over string");
}

static void test_strings(void** state) {
  vm_expect_out(
      "fn <main> 0\n"
      "LOADK 0 \"ab\"\n"
      "LOADK 1 \"cd\"\n"
      "ADD 2 0 1\n"
      "ADDK 3 2 \"!\"\n"
      "GETINDEXI 4 3 4\n"
      "LOADK 5 \"abcd!\"\n"
      "EQ 6 3 5\n"
      "CALLB 7 3 1 len\n"
      "CALLB 0 2 6 print\n"
      "RETNIL\n",
      "abcd abcd! ! abcd! true 5\n");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADK 0 \"ab\"\n"
      "LOADI 1 1\n"
      "ADD 2 0 1\n"
      "RETNIL\n",
      "t.hk:4: runtime error: cannot apply + to string and int (use str() to convert)");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADK 0 \"ab\"\n"
      "LOADI 1 2\n"
      "GETINDEX 2 0 1\n"
      "RETNIL\n",
      "t.hk:4: runtime error: string index 2 out of range (length 2)");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADK 0 \"ab\"\n"
      "SETINDEXI 0 0 0\n"
      "RETNIL\n",
      "t.hk:3: runtime error: cannot assign to an index of a string (strings are immutable)");
}

static void test_arith_errors(void** state) {
  vm_expect_error(
      "fn <main> 0\nLOADI 0 1\nLOADI 1 0\nDIV 2 0 1\nRETNIL\n", "t.hk:4: runtime error: division by zero");
  vm_expect_error(
      "fn <main> 0\nLOADI 0 1\nLOADI 1 0\nMOD 2 0 1\nRETNIL\n", "t.hk:4: runtime error: modulo by zero");
  vm_expect_error(
      "fn <main> 0\nLOADI 0 1\nMODK 2 0 0\nRETNIL\n", "t.hk:3: runtime error: modulo by zero");
  vm_expect_error(
      "fn <main> 0\nLOADNIL 0\nLOADI 1 1\nMUL 2 0 1\nRETNIL\n", "t.hk:4: runtime error: cannot apply * to nil and int");
  vm_expect_error("fn <main> 0\nLOADTRUE 0\nUNM 1 0\nRETNIL\n", "t.hk:3: runtime error: cannot negate bool");
  vm_expect_error(
      "fn <main> 0\nLOADK 0 \"a\"\nLOADI 1 1\nLT 2 0 1\nRETNIL\n", "t.hk:4: runtime error: cannot compare string and int");
  vm_expect_error("fn <main> 0\nLOADK 0 \"a\"\nJLTI 0 1 1 @x\n@x:\nRETNIL\n", "t.hk:3: runtime error: cannot compare string and int");
}

static void test_calls_and_values(void** state) {
  // function values: script, builtin, extern-less; CALL through registers
  vm_expect_out(
      "fn <main> 0\n"
      "LOADFN 0 twice\n"
      "LOADI 1 21\n"
      "CALL 2 0 1\n"
      "LOADBI 3 len\n"
      "LOADK 4 \"abc\"\n"
      "CALL 5 3 1\n"
      "LOADFN 6 twice\n"
      "EQ 7 0 6\n"
      "CALLB 8 3 1 type\n"
      "CALLB 9 0 1 str\n"
      "MOVE 10 2\n"
      "MOVE 11 5\n"
      "MOVE 12 7\n"
      "MOVE 13 8\n"
      "MOVE 14 9\n"
      "MOVE 15 3\n"
      "CALLB 0 10 6 print\n"
      "CALLF 0 0 0 nothing\n"
      "CALLB 0 0 1 print\n"
      "RETNIL\n"
      "fn twice 1\n"
      "ADD 0 0 0\n"
      "RET 0\n"
      "fn nothing 0\n"
      "RETNIL\n",
      "42 3 true function <function twice> <builtin len>\nnil\n");
}

static void test_call_errors(void** state) {
  vm_expect_error(
      "fn <main> 0\n"
      "LOADI 0 1\n"
      "CALLF 0 0 1 two\n"
      "RETNIL\n"
      "fn two 2\n"
      "RETNIL\n",
      "t.hk:3: runtime error: two expects 2 arguments, got 1");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADI 0 1\n"
      "CALL 1 0 0\n"
      "RETNIL\n",
      "t.hk:3: runtime error: cannot call a value of type int");
  vm_expect_error(
      "fn <main> 0\n"
      "CALLB 0 0 0 len\n"
      "RETNIL\n",
      "t.hk:2: runtime error: len expects 1 argument, got 0");
  vm_expect_error(
      "fn <main> 0\n"
      "LOADBI 0 substr\n"
      "CALL 0 0 1\n"
      "RETNIL\n",
      "t.hk:3: runtime error: substr expects 3 arguments, got 1");
}

static void test_traceback(void** state) {
  vm_run_t r;
  vm_run_asm(
      "fn <main> 0\n"
      "LOADI 0 1\n"
      "CALLB 0 0 1 print\n"
      "CALLF 0 0 0 outer\n"
      "RETNIL\n"
      "fn outer 0\n"
      "LOADI 0 3\n"
      "CALLF 0 0 1 inner\n"
      "RET 0\n"
      "fn inner 1\n"
      "LOADI 1 0\n"
      "DIV 0 0 1\n"
      "RET 0\n",
      &r);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.out, "1\n");  // printed output stays
  assert_string_equal(r.err,
                      "t.hk:12: runtime error: division by zero\n"
                      "  at inner (t.hk:12)\n"
                      "  at outer (t.hk:8)\n"
                      "  at <main> (t.hk:4)\n");
  assert_string_equal(r.res.message, "t.hk:12: runtime error: division by zero");
  vm_run_free(&r);
}

static void test_recursion_limit(void** state) {
  vm_run_t r;
  vm_run_asm(
      "fn <main> 0\n"
      "LOADI 0 0\n"
      "CALLF 0 0 1 down\n"
      "RETNIL\n"
      "fn down 1\n"
      "ADDI 0 0 1\n"
      "CALLF 0 0 1 down\n"
      "RET 0\n",
      &r);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "t.hk:7: runtime error: stack overflow (more than 200000 nested calls)\n"));
  assert_non_null(strstr(r.err, "more frames ...\n"));
  assert_true(strlen(r.err) < 4000);  // the middle of the traceback is elided
  vm_run_free(&r);
}

static void test_stack_limit(void** state) {
  // a small max_stack is reached before max_depth
  hvm_options_t opt;
  hvm_options_init(&opt);
  opt.max_stack = 1000;
  vm_run_t r;
  vm_run_asm_opts(
      "fn <main> 0\n"
      "LOADI 0 0\n"
      "CALLF 0 0 1 down\n"
      "RETNIL\n"
      "fn down 1\n"
      "ADDI 0 0 1\n"
      "LOADNIL 40\n"
      "CALLF 0 0 1 down\n"
      "RET 0\n",
      &opt, &r);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "stack overflow (more than 1000 value slots in use)"));
  vm_run_free(&r);
}

static void test_exit(void** state) {
  vm_run_t r;
  vm_run_asm(
      "fn <main> 0\n"
      "LOADK 0 \"before\"\n"
      "CALLB 0 0 1 print\n"
      "LOADI 0 3\n"
      "CALLB 0 0 1 exit\n"
      "CALLB 0 0 1 print\n"
      "RETNIL\n",
      &r);
  assert_int_equal(r.status, 3);
  assert_int_equal(r.res.exited, 1);
  assert_string_equal(r.out, "before\n");
  assert_string_equal(r.err, "");
  vm_run_free(&r);
}

// Binary trees: lots of garbage with a long-lived tree; the collector must
// run, free most objects and keep the long-lived ones intact.
static const char* trees_asm =
    "fn <main> 0\n"
    "LOADI 0 10\n"
    "CALLF 1 0 1 make\n"          // long-lived tree in R1
    "LOADI 2 0\n"                 // total
    "LOADI 3 0\n"
    "LOADI 4 20\n"
    "LOADI 5 1\n"
    "FORPREP 3 @end\n"
    "@body:\n"
    "LOADI 7 6\n"
    "CALLF 7 7 1 make\n"
    "CALLF 7 7 1 check\n"
    "ADD 2 2 7\n"
    "FORLOOP 3 @body\n"
    "@end:\n"
    "CALLF 8 1 1 check\n"
    "MOVE 9 2\n"
    "MOVE 10 8\n"
    "CALLB 0 9 2 print\n"
    "RETNIL\n"
    "fn make 1\n"
    "JEQI 0 0 0 @inner\n"
    "LOADNIL 1\n"
    "LOADNIL 2\n"
    "NEWARR 0 1 2\n"
    "RET 0\n"
    "@inner:\n"
    "ADDI 0 0 -1\n"
    "CALLF 1 0 1 make\n"
    "CALLF 2 0 1 make\n"
    "NEWARR 0 1 2\n"
    "RET 0\n"
    "fn check 1\n"
    "GETINDEXI 1 0 0\n"
    "JEQK 1 nil 0 @rec\n"
    "LOADI 0 1\n"
    "RET 0\n"
    "@rec:\n"
    "CALLF 1 1 1 check\n"
    "GETINDEXI 2 0 1\n"
    "CALLF 2 2 1 check\n"
    "ADD 0 1 2\n"
    "ADDI 0 0 1\n"
    "RET 0\n";

static void test_gc_trees(void** state) {
  vm_run_t r;
  vm_run_asm(trees_asm, &r);
  assert_int_equal(r.status, 0);
  // 20 trees of depth 6 (127 nodes) checked, then the long-lived one of depth 10
  assert_string_equal(r.out, "2540 2047\n");
  vm_run_free(&r);
  // stress: a collection at every allocating instruction (4587 NEWARRs), garbage freed
  hvm_options_t opt;
  hvm_options_init(&opt);
  opt.gc_stress = 1;
  vm_run_module(vm_asm(trees_asm), &opt, &r);
  assert_string_equal(r.out, "2540 2047\n");
  assert_true(r.gc.collections >= 4587);
  assert_true(r.gc.freed >= 19 * 127);  // every tree but the last one
  vm_run_free(&r);
}

// Paced collection: a loop making 64 MiB of garbage runs in a bounded heap.
static void test_gc_paced(void** state) {
  vm_run_t r;
  hvm_options_t opt;
  hvm_options_init(&opt);
  vm_run_module(vm_asm("fn <main> 0\n"
                       "LOADI 0 0\n"
                       "LOADK 1 1000000\n"
                       "LOADI 2 1\n"
                       "FORPREP 0 @end\n"
                       "@body:\n"
                       "NEWARR 5 0 2\n"  // 64 bytes each
                       "FORLOOP 0 @body\n"
                       "@end:\n"
                       "RETNIL\n"),
                &opt, &r);
  assert_int_equal(r.status, 0);
  assert_true(r.gc.collections >= 10);
  assert_true(r.gc.freed >= 900000);
  assert_true(r.gc.peak_bytes < (8u << 20));
  vm_run_free(&r);
}

static void test_gc_cycles(void** state) {
  // arrays and maps that refer to themselves are collected and printing them is an error
  vm_expect_out(
      "fn <main> 0\n"
      "LOADI 0 0\n"
      "LOADI 1 3000\n"
      "LOADI 2 1\n"
      "FORPREP 0 @end\n"
      "@body:\n"
      "NEWARR 5 0 0\n"
      "APPEND 5 5\n"
      "NEWMAP 6 0 0\n"
      "SETFIELD 6 \"self\" 6\n"
      "SETFIELD 6 \"arr\" 5\n"
      "FORLOOP 0 @body\n"
      "@end:\n"
      "GETFIELD 7 6 \"arr\"\n"
      "GETINDEXI 7 7 0\n"
      "GETINDEXI 7 7 0\n"
      "EQ 8 7 5\n"
      "CALLB 8 8 1 print\n"
      "RETNIL\n",
      "true\n");
  vm_expect_error(
      "fn <main> 0\n"
      "NEWARR 0 0 0\n"
      "APPEND 0 0\n"
      "CALLB 1 0 1 print\n"
      "RETNIL\n",
      "t.hk:4: runtime error: print: value nested deeper than 1000 levels (or cyclic)");
}

// GETFIELD/SETFIELD inline caches: one instruction sees maps of different
// layouts, entries that moved (compaction after deletes) and keys that are
// not the interned constant (built by concatenation).
static void test_field_cache(void** state) {
  vm_expect_out(
      "fn <main> 0\n"
      "LOADK 1 \"a\"\n"
      "LOADI 2 1\n"
      "LOADK 3 \"b\"\n"
      "LOADI 4 2\n"
      "NEWMAP 5 1 2\n"          // {a:1, b:2}
      "NEWMAP 6 3 1\n"          // {b:2}
      "LOADK 7 \"\"\n"
      "ADD 7 7 3\n"              // a fresh "b", not the constant
      "LOADI 8 9\n"
      "NEWMAP 9 7 1\n"          // {b:9} with a non-interned key
      "MOVE 7 9\n"
      "NEWARR 10 5 3\n"         // [m1, m2, m3]
      "LOADI 11 0\n"            // sum
      "LOADI 20 0\n"
      "LOADI 21 30\n"
      "LOADI 22 1\n"
      "FORPREP 20 @end\n"
      "@body:\n"
      "MODK 12 23 3\n"
      "GETINDEX 13 10 12\n"
      "GETFIELD 14 13 \"b\"\n"
      "ADD 11 11 14\n"
      "SETFIELD 13 \"b\" 14\n"   // same value back, through the cache
      "FORLOOP 20 @body\n"
      "@end:\n"
      "MOVE 15 5\n"
      "LOADK 16 \"a\"\n"
      "CALLB 15 15 2 del\n"     // m1 = {b:2}, entry 0 dead
      "LOADI 24 10\n"
      "LOADI 17 0\n"
      "LOADI 18 10\n"
      "LOADI 19 1\n"
      "FORPREP 17 @e2\n"
      "@b2:\n"
      "GETFIELD 14 5 \"b\"\n"     // caches entry 1
      "SETFIELD 5 \"c\" 24\n"
      "SETFIELD 5 \"d\" 24\n"    // m1's 4 entry slots are full (one dead)
      "SETFIELD 5 \"e\" 24\n"    // compacts m1: b moves to entry 0
      "GETFIELD 14 5 \"b\"\n"
      "ADD 11 11 14\n"
      "FORLOOP 17 @b2\n"
      "@e2:\n"
      "GETFIELD 14 5 \"a\"\n"
      "CALLB 0 11 1 print\n"
      "CALLB 0 5 1 print\n"
      "CALLB 0 14 1 print\n"
      "RETNIL\n",
      "150\n{\"b\":2,\"c\":10,\"d\":10,\"e\":10}\nnil\n");
}

static void test_api(void** state) {
  assert_null(hvm_program_new(NULL, NULL));
  hvm_program_free(NULL);
  assert_null(hvm_program_module(NULL));
  hbc_module_t* m = hbc_module_new(NULL, "u.hk");  // not finished: refused (and freed)
  hbc_func_new(m, "<main>", 0, 1);
  assert_null(hvm_program_new(m, NULL));
  hvm_options_t opt;
  hvm_options_init(&opt);
  assert_null(opt.alc);
  assert_int_equal(opt.max_depth, 0);
  // one program runs many times
  hvm_program_t* p = hvm_program_new(vm_asm("fn <main> 0\nLOADI 0 7\nRET 0\n"), &opt);
  assert_non_null(p);
  assert_string_equal(hvm_program_module(p)->file, "t.hk");
  for (int j = 0; j < 3; j++) assert_int_equal(hvm_program_run(p, NULL), 0);
  hvm_result_t res;
  assert_int_equal(hvm_program_run(p, &res), 0);
  assert_int_equal(res.exited, 0);
  assert_string_equal(res.message, "");
  hvm_program_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_api),
      cmocka_unit_test(test_fib),
      cmocka_unit_test(test_loads_and_print),
      cmocka_unit_test(test_int_arith),
      cmocka_unit_test(test_float_arith),
      cmocka_unit_test(test_compare),
      cmocka_unit_test(test_branches),
      cmocka_unit_test(test_range_loop),
      cmocka_unit_test(test_range_extremes),
      cmocka_unit_test(test_range_errors),
      cmocka_unit_test(test_arrays),
      cmocka_unit_test(test_array_errors),
      cmocka_unit_test(test_maps),
      cmocka_unit_test(test_map_many),
      cmocka_unit_test(test_map_errors),
      cmocka_unit_test(test_iteration),
      cmocka_unit_test(test_strings),
      cmocka_unit_test(test_arith_errors),
      cmocka_unit_test(test_calls_and_values),
      cmocka_unit_test(test_call_errors),
      cmocka_unit_test(test_traceback),
      cmocka_unit_test(test_recursion_limit),
      cmocka_unit_test(test_stack_limit),
      cmocka_unit_test(test_exit),
      cmocka_unit_test(test_gc_trees),
      cmocka_unit_test(test_field_cache),
      cmocka_unit_test(test_gc_paced),
      cmocka_unit_test(test_gc_cycles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
