// io/json.hpp: parse, dump, error positions.
#include <catch2/catch.hpp>

#include "tinybert/io/json.hpp"

using tinybert::json::parse;

TEST_CASE("json round-trips values and keeps key order", "[json]") {
    const auto v = parse(R"({"b":[1,2.5,"x\u2028y",null,true],"a":{"c":-3}})");
    CHECK(v.at("b").as_array().size() == 5);
    CHECK(v.at("b").as_array()[0].as_int() == 1);
    CHECK(v.at("b").as_array()[1].as_double() == 2.5);
    CHECK(v.at("b").as_array()[2].as_string() == "x\xE2\x80\xA8y");
    CHECK(v.at("a").at("c").as_int() == -3);
    CHECK(v.as_object()[0].first == "b");
    CHECK(v.dump() == "{\"b\":[1,2.5,\"x\xE2\x80\xA8y\",null,true],\"a\":{\"c\":-3}}");
    CHECK(parse(v.dump(2)).dump() == v.dump());
}

TEST_CASE("json escapes control characters and prints shortest round-trip doubles", "[json]") {
    tinybert::json::Value s(std::string("a\"b\\c\n\x01"));
    CHECK(s.dump() == R"("a\"b\\c\n\u0001")");
    CHECK(tinybert::json::Value(0.1).dump() == "0.1");
    CHECK(tinybert::json::Value(1.0 / 3.0).dump() == "0.3333333333333333");
}

TEST_CASE("json errors name the source and the position", "[json]") {
    CHECK_THROWS_WITH(parse("{\n\"a\": tru}", "cfg.json"), Catch::Contains("cfg.json") && Catch::Contains("line 2"));
    CHECK_THROWS_WITH(parse("[1,2]  x", "f.json"), Catch::Contains("trailing content"));
    CHECK_THROWS_WITH(parse("{\"a\":1", "f.json"), Catch::Contains("f.json"));
    CHECK_THROWS_WITH(parse("{\"a\":1}").at("b"), Catch::Contains("missing key \"b\""));
    CHECK_THROWS_WITH(parse("{\"a\":1}").at("a").as_string(), Catch::Contains("expected a string"));
}
