import { render } from 'preact';
import { AlbumView } from './views/album-view';
import { AlbumsView } from './views/albums-view';
import { FaceView } from './views/face-view';
import { PersonView } from './views/person-view';
import { SearchView } from './views/search-view';
import { TogetherView } from './views/together-view';
import { useRoute } from './router';
import './styles.css';

function App() {
  const route = useRoute();
  return (
    <>
      <nav class="top">
        <a class="brand" href="#/">
          facegraph
        </a>
        <a href="#/" aria-current={route.name === 'albums' ? 'page' : undefined}>
          Albums
        </a>
        <a href="#/search" aria-current={route.name === 'search' ? 'page' : undefined}>
          Search by photo
        </a>
        <a href="#/together" aria-current={route.name === 'together' ? 'page' : undefined}>
          People together
        </a>
        <a class="api" href="/graphql">
          API
        </a>
      </nav>
      <Screen key={location.hash} />
    </>
  );

  function Screen() {
    switch (route.name) {
      case 'albums':
        return <AlbumsView />;
      case 'album':
        return <AlbumView id={route.id} />;
      case 'person':
        return <PersonView id={route.id} albumId={route.albumId} />;
      case 'face':
        return <FaceView id={route.id} />;
      case 'search':
        return <SearchView />;
      case 'together':
        return <TogetherView />;
      default:
        return (
          <main>
            <h1>Nothing here</h1>
            <p>
              <a href="#/">All albums</a>
            </p>
          </main>
        );
    }
  }
}

render(<App />, document.getElementById('app')!);
