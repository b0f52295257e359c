// The policy playground's page: HTML, CSS and JavaScript from server/playground/,
// compiled into the binary by cmake/embed_assets.cmake. Nothing is read from disk or
// fetched at run time.
#ifndef STATEMARK_SERVER_PLAYGROUND_ASSETS_H_
#define STATEMARK_SERVER_PLAYGROUND_ASSETS_H_

#include <string_view>
#include <vector>

namespace statemark::server {

struct PlaygroundAsset {
  std::string_view path;          // `/` for index.html, `/playground.js`, ...
  std::string_view content_type;
  std::string_view bytes;
};

const std::vector<PlaygroundAsset>& PlaygroundAssets();

}  // namespace statemark::server

#endif  // STATEMARK_SERVER_PLAYGROUND_ASSETS_H_
