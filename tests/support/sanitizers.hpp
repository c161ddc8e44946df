#pragma once
// Whether this test binary is built with AddressSanitizer and UndefinedBehaviorSanitizer (CORRAL_SANITIZE).
namespace corral::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace corral::test

// Ends a test that runs a process out of descriptors, in a sanitized build: UBSan checks each virtual call
// by probing memory through a pipe, which it cannot open then, and reports a valid object as invalid. The
// plain build runs these tests.
#define SKIP_OUT_OF_DESCRIPTORS_WHEN_SANITIZED()                                                      \
    if (corral::test::kSanitized) {                                                                   \
        MESSAGE("skipped in a sanitized build: UBSan cannot check virtual calls without a descriptor"); \
        return;                                                                                       \
    }
