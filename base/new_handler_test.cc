#include "base/new_handler.h"

#include <new>
#include <stdexcept>
#include <string>

#include "gtest/gtest.h"

namespace alloclab::base {
namespace {

TEST(NewHandler, ThrowsARealStdBadAlloc) {
  try {
    ThrowBadAlloc();
  } catch (const std::exception& e) {
    EXPECT_NE(dynamic_cast<const std::bad_alloc*>(&e), nullptr);
    EXPECT_EQ(std::string(e.what()), std::bad_alloc().what());
    return;
  }
  FAIL() << "nothing thrown";
}

void Nothing() {}
void Throws() { throw std::runtime_error("handler gave up"); }

TEST(NewHandler, SeesTheInstalledHandler) {
  EXPECT_EQ(CurrentNewHandler(), nullptr);
  std::set_new_handler(Nothing);
  EXPECT_EQ(CurrentNewHandler(), &Nothing);
  std::set_new_handler(nullptr);
  EXPECT_EQ(CurrentNewHandler(), nullptr);
}

TEST(NewHandler, CatchesWhatTheHandlerThrows) {
  EXPECT_TRUE(CallCatchingExceptions(Nothing));
  EXPECT_FALSE(CallCatchingExceptions(Throws));
}

int g_calls = 0;
void GiveUpAfterTwo() {
  if (++g_calls == 2) throw std::bad_alloc();
}

TEST(NewHandler, RetriesUntilTheHandlerThrows) {
  std::set_new_handler(GiveUpAfterTwo);
  int attempts = 0;
  auto failing = [&]() -> void* {
    ++attempts;
    return nullptr;
  };
  g_calls = 0;
  EXPECT_EQ(RetryWithNewHandler<true>(failing), nullptr) << "the nothrow form swallows the handler's throw";
  EXPECT_EQ(attempts, 1);
  g_calls = 0;
  EXPECT_THROW(RetryWithNewHandler<false>(failing), std::bad_alloc);
  std::set_new_handler(nullptr);
  EXPECT_THROW(RetryWithNewHandler<false>(failing), std::bad_alloc) << "no handler: std::bad_alloc";
  EXPECT_EQ(RetryWithNewHandler<true>(failing), nullptr);
}

TEST(NewHandler, AHandlerThatFreesMemoryLetsTheRetrySucceed) {
  static int block;
  bool freed = false;
  std::set_new_handler(Nothing);
  auto second_time = [&]() -> void* {
    if (freed) return &block;
    freed = true;
    return nullptr;
  };
  EXPECT_EQ(RetryWithNewHandler<false>(second_time), &block);
  std::set_new_handler(nullptr);
}

}  // namespace
}  // namespace alloclab::base
