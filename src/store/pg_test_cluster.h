// A throwaway PostgreSQL server for tests (scripts/pg_test_cluster.sh: Debian's
// postgresql-15 in a temporary folder, on a Unix socket, no TCP port), and a fresh
// database in it per test.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <filesystem>
#include <string>

#include "store/pg_conn.h"

namespace trawl::store_test {

class PgTestCluster {
 public:
  PgTestCluster() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "trawl_pg_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return;
    dir_ = tmpl;
    started_ = Run("start");
  }
  ~PgTestCluster() {
    if (started_) Run("stop");
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  bool started() const { return started_; }
  const std::string& dir() const { return dir_; }
  // The connection string of database `db` (created on first use).
  std::string Url(const std::string& db) {
    auto admin = store_internal::PgConn::Connect(Base() + " dbname=postgres");
    EXPECT_TRUE(admin.ok()) << admin.status().ToString();
    if (admin.ok()) (void)(*admin)->ExecScript("CREATE DATABASE " + db);
    return Base() + " dbname=" + db;
  }
  std::string Base() const { return "host=" + dir_ + " user=trawl"; }
  // kill -9 of the server, then a start again (a crash and a restart).
  bool Kill() { return Run("kill"); }
  bool Start() { return started_ = Run("start"); }
  bool Stop() {
    started_ = false;
    return Run("stop");
  }

 private:
  bool Run(const std::string& cmd) {
    const char* src = std::getenv("TRAWL_SOURCE_DIR");
    std::string script = std::string(src ? src : ".") + "/scripts/pg_test_cluster.sh";
    std::string line = "timeout 120 " + script + " " + cmd + " " + dir_ + " >/dev/null";
    int rc = std::system(line.c_str());
    EXPECT_EQ(rc, 0) << line;
    return rc == 0;
  }
  std::string dir_;
  bool started_ = false;
};

// One cluster for a test program (a gtest environment), a database of its own per test.
class PgTestEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    cluster_ = std::make_unique<PgTestCluster>();
    ASSERT_TRUE(cluster_->started()) << "could not start a PostgreSQL test cluster (apt install postgresql-15)";
  }
  void TearDown() override { cluster_.reset(); }
  static PgTestCluster* cluster() { return cluster_.get(); }
  // A fresh database named after the running test.
  static std::string TestUrl() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string db;
    for (char c : name) db += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return cluster_->Url(db);
  }

 private:
  static inline std::unique_ptr<PgTestCluster> cluster_;
};

}  // namespace trawl::store_test
