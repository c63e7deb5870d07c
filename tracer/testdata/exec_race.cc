// Two threads of one process exec at the same moment, each with its own
// environment (X=a, X=b). The tracer builds each exec's environment (one exec
// deeper); it once built both in one static array, so that a thread could
// exec with the other's. Whichever exec wins, the new image must see the
// environment its own thread passed.
//   exec_race ROUNDS      forks ROUNDS children that race; exit 1 if any
//                         exec'd image saw the other thread's environment
//   exec_race check NAME  the exec'd image: exit 0 if X == NAME
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern char** environ;

namespace {

pthread_barrier_t g_barrier;
const char* g_self;

void* Exec(void* arg) {
  const char* name = static_cast<const char*>(arg);
  // The environment the program has (the tracer's settings), plus X.
  char* env[64];
  int n = 0;
  for (char** e = environ; *e != nullptr && n < 60; ++e) {
    if (strncmp(*e, "X=", 2) != 0) env[n++] = *e;
  }
  std::string x = std::string("X=") + name;
  env[n++] = x.data();
  env[n] = nullptr;
  char* argv[] = {const_cast<char*>(g_self), const_cast<char*>("check"), const_cast<char*>(name), nullptr};
  pthread_barrier_wait(&g_barrier);
  execve(g_self, argv, env);
  _exit(127);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "check") == 0) {
    const char* x = getenv("X");
    return x != nullptr && strcmp(x, argv[2]) == 0 ? 0 : 1;
  }
  if (argc != 2) return 2;
  g_self = argv[0];
  const int rounds = atoi(argv[1]);
  int wrong = 0;
  for (int r = 0; r < rounds; ++r) {
    const pid_t pid = fork();
    if (pid == 0) {
      pthread_barrier_init(&g_barrier, nullptr, 2);
      pthread_t a, b;
      pthread_create(&a, nullptr, Exec, const_cast<char*>("a"));
      pthread_create(&b, nullptr, Exec, const_cast<char*>("b"));
      pthread_join(a, nullptr);  // never returns: one of them execs
      _exit(3);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++wrong;
  }
  std::printf("%d of %d exec'd images saw the wrong environment\n", wrong, rounds);
  return wrong == 0 ? 0 : 1;
}
