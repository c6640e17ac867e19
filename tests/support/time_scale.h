// Time scale of the machine running the real-kernel tests: under emulation (the kernel
// matrix boots kernels in qemu with TCG) a fork takes tens of times longer than on real
// hardware, so rules that look for a rate cannot see a real burst reach it.
#ifndef VIGIL_TESTS_SUPPORT_TIME_SCALE_H_
#define VIGIL_TESTS_SUPPORT_TIME_SCALE_H_

#include <string>

namespace vigil::testing {

// VIGIL_TEST_TIME_SCALE: how many times slower than real hardware this machine runs (an
// integer from 1 to 1000; 1 when unset). tests/vm/ sets it for emulated guests. A bad
// value fails the calling test.
int TestTimeScale();

// A rule file that layers over the default pack and stretches the window and cooldown of
// its fork-flood rules by TestTimeScale(), leaving the counts (what the tests assert) and
// everything else unchanged. Empty when the scale is 1.
std::string ScaledFloodRules();

}  // namespace vigil::testing

#endif  // VIGIL_TESTS_SUPPORT_TIME_SCALE_H_
