#!/usr/bin/env bash
# Everything the project promises, in order: the series applies and is
# checkpatch-clean, the kernel builds, KUnit passes, and every VM test passes
# in every VT-d mode.  One line per result, then "N passed, N failed" (and
# ", N skipped"): a VM test's expected failure (XFAIL) and a VM test that
# skipped anything (SKIP) count as skipped, an XPASS as passed.  Last, the
# VM results are compared with vm/expected, one line per program, variant
# and VT-d mode with the outcome it must have: a result missing from the
# list, one the run did not produce, or another outcome fails the check.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs="$top/build/check"
mkdir -p "$logs"
modes=(legacy sm sm-fl)
# Every VM test must log no DMAR fault (vmtest.sh NO_FAULTS=1), but these,
# whose point includes one: vfio_edu_lu_multi shows that a device that was
# not preserved is blocked (it asserts no fault at the preserved IOVAs),
# vfio_edu_lu_corrupt that a refused handover blocks the device,
# vfio_edu_lu_teardown that a finished, unretrieved device's DMA faults (it
# asserts no fault in its last stage), and vfio_edu_lu_reclaim that a range
# unmapped from a restored IOAS faults (it asserts no fault elsewhere).
faults_allowed=" vfio_edu_lu_multi vfio_edu_lu_corrupt vfio_edu_lu_teardown vfio_edu_lu_reclaim "
passed=0 failed=0 skipped=0
got=()	# "OUTCOME key" of each VM result, for vm/expected

result() {	# result PASS|XPASS|FAIL|SKIP|XFAIL name [detail]
	case "$1" in
	PASS|XPASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	SKIP|XFAIL) skipped=$((skipped + 1)) ;;
	esac
	printf '%s: %s%s\n' "$1" "$2" "${3:+ ($3)}"
}

step() {	# step name log command...: one result from an exit status
	local name=$1 log=$2
	shift 2
	if "$@" > "$log" 2>&1; then
		result PASS "$name" "$(tail -n 1 "$log")"
		return 0
	fi
	result FAIL "$name" "see $log"
	tail -n 15 "$log" | sed 's/^/    /'
	return 1
}

finish() {
	local s=""
	[ "$skipped" -gt 0 ] && s=", $skipped skipped"
	echo "$passed passed, $failed failed$s"
	[ "$failed" -eq 0 ]
	exit
}

step "tree: patches/ apply on linux-source-7.3" "$logs/tree.log" scripts/tree.sh || finish

# The KUnit suites build and run in the background at the lowest priority:
# their UML kernel takes most of 8 minutes to build from an empty ccache,
# time the VM tests leave idle (a guest waiting for its devices).  The VM
# runs stay one at a time; the result is reported after theirs.
nice -n 19 scripts/kunit.sh > "$logs/kunit.log" 2>&1 &
kunit_pid=$!

while IFS= read -r line; do
	case "$line" in PASS:*) result PASS "${line#PASS: }" ;; FAIL:*) result FAIL "${line#FAIL: }" ;; esac
done < <(scripts/checkpatch.sh 2>&1 | tee "$logs/checkpatch.log")

kernel_ok=1
step "kernel: bzImage (tinyconfig + config/vm.config)" "$logs/kernel.log" scripts/kernel.sh || kernel_ok=0
step "progs: VM init and selftest programs" "$logs/progs.log" scripts/progs.sh || kernel_ok=0


# vm/programs: kexec programs in every VT-d mode; single-stage ("single")
# programs in every mode; single-stage ("once") suites once, in legacy mode
# (upstream's iommufd uses its mock driver).
while read -r dir progs; do
	stages=2 run_modes=("${modes[@]}")
	case "$dir" in
	''|'#'*) continue ;;
	once) read -r dir progs <<< "$progs"; stages=1 run_modes=(legacy) ;;
	single) read -r dir progs <<< "$progs"; stages=1 ;;
	esac
	for p in $progs; do
		# "prog@VAR=value,..." runs prog with those vmtest.sh settings; its
		# STAGES wins on a kexec line, not on a "once" or "single" one.
		# MODES=a/b is check.sh's own: the VT-d modes to run it in.
		key=$p opts=() modes_p=("${run_modes[@]}")
		case "$p" in *@*) IFS=, read -ra opts <<< "${p#*@}"; p=${p%%@*} ;; esac
		for i in "${!opts[@]}"; do
			case "${opts[i]}" in
			MODES=*) IFS=/ read -ra modes_p <<< "${opts[i]#MODES=}"; unset 'opts[i]' ;;
			esac
		done
		if [ "$stages" = 1 ]; then
			opts=("${opts[@]}" STAGES=1)
		else
			opts=(STAGES=2 "${opts[@]}")
		fi
		for m in "${modes_p[@]}"; do
			name="vm: $key [$m]"
			if [ "$kernel_ok" = 0 ]; then
				result FAIL "$name" "no kernel or programs"
				got+=("FAIL $key [$m]")
				continue
			fi
			nf=1
			case "$faults_allowed" in *" $p "*) nf=0 ;; esac
			# A log of its own per variant, not the program's default
			log="build/vmtest/$(printf '%s' "$key" | tr -c 'A-Za-z0-9_.=-' '_')-$m.log"
			out=$(env "${opts[@]}" "LOG=$log" NO_FAULTS=$nf scripts/vmtest.sh "build/tests/$dir/$p" "$m" 2>&1) || true
			out=${out##*$'\n'}	# the result line: PASS, XPASS, XFAIL, SKIP or FAIL
			# A boot that stalled under TCG (design.md, section 10) is an
			# environment fault, retried once and said so; never a pass.
			case "$out" in
			"FAIL: "*"boot stalled: "*)
				first=${out#*boot stalled: }
				out=$(env "${opts[@]}" "LOG=$log" NO_FAULTS=$nf scripts/vmtest.sh "build/tests/$dir/$p" "$m" 2>&1) || true
				out="${out##*$'\n'}; retried once after a boot stall (${first%% (log:*})"
				;;
			esac
			case "$out" in
			PASS:* | XPASS:* | XFAIL:* | SKIP:* | FAIL:*) outcome=${out%%: *} ;;
			*) outcome=FAIL out="FAIL: vmtest.sh: $out" ;;
			esac
			detail=${out#*: }
			result "$outcome" "$name" "${detail#"$p [$m] "}"
			got+=("$outcome $key [$m]")
		done
	done
done < vm/programs

if wait "$kunit_pid"; then
	result PASS "kunit: generic_pt suites (UML)" "$(tail -n 1 "$logs/kunit.log")"
else
	result FAIL "kunit: generic_pt suites (UML)" "see $logs/kunit.log"
	tail -n 15 "$logs/kunit.log" | sed 's/^/    /'
fi

# vm/expected: "OUTCOME prog[@settings] [mode]" per line, '#' comments.
expected=$(grep -vE '^[[:space:]]*(#|$)' vm/expected | sort || true)
produced=$(printf '%s\n' "${got[@]}" | sort)
diffs=$(diff <(echo "$expected") <(echo "$produced") | grep -E '^[<>]' |
	sed 's/^</expected:/; s/^>/got:/' || true)
if [ -z "$diffs" ]; then
	result PASS "results: the VM results match vm/expected" "$(echo "$expected" | wc -l) results"
else
	result FAIL "results: the VM results differ from vm/expected"
	echo "$diffs" | sed 's/^/    /'
fi

finish
