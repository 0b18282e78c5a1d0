/*
 * cop-connector: the "Add …" buttons of community of practice pages open the visual editor
 * with a new, empty entry of the page's kind at the end of its list and the entry's form open.
 *
 * Loaded on the community namespaces by the snippet of `cop mediawiki namespaces`. Without it
 * (or without JavaScript, or where the visual editor is not available or the member prefers the
 * source editor), a button keeps its own link: the source editor with an empty line preloaded.
 *
 * A button is <span class="cop-add" data-cop-template="CoP watch" data-cop-list="Watch items"
 * data-cop-lang="en"><a href="…">…</a></span> (written by provisioning). Its link becomes
 * ?veaction=edit&copadd=<template>&coplist=<list title>&uselang=<lang>; when the visual editor
 * has opened with those parameters, the entry is inserted after the last entry of that
 * template (else at the end of the list's section, else of the page) and its form is opened.
 *
 * ES5 only: MediaWiki 1.39's ResourceLoader validates module scripts as ES5.
 */
( function () {
	'use strict';

	var TEMPLATE_PARAM = 'copadd',
		LIST_PARAM = 'coplist',
		VE_INIT = 'ext.visualEditor.desktopArticleTarget.init';

	/* --- on the page as read: the buttons ------------------------------------------------ */

	function prefersSource() {
		return mw.user.options.get( 'visualeditor-tabs' ) === 'prefer-wt';
	}

	function visualLink( $button ) {
		var query = { veaction: 'edit' };
		query[ TEMPLATE_PARAM ] = $button.attr( 'data-cop-template' );
		query[ LIST_PARAM ] = $button.attr( 'data-cop-list' ) || '';
		if ( $button.attr( 'data-cop-lang' ) ) {
			query.uselang = $button.attr( 'data-cop-lang' );
		}
		return mw.util.getUrl( mw.config.get( 'wgPageName' ), query );
	}

	function enhanceButtons( $content ) {
		var $buttons = $content.find( '.cop-add[data-cop-template]' );
		if ( !$buttons.length || !mw.loader.getState( VE_INIT ) ) {
			return;
		}
		mw.loader.using( VE_INIT ).then( function () {
			if ( !mw.libs.ve || !mw.libs.ve.isVisualAvailable || prefersSource() ) {
				return;
			}
			$buttons.each( function () {
				var $button = $( this );
				$button.find( 'a' ).first().attr( 'href', visualLink( $button ) )
					.addClass( 'cop-add-visual' );
			} );
		} );
	}

	/* --- in the visual editor: the new entry --------------------------------------------- */

	function templateTitle( name ) {
		var title = mw.Title.newFromText( name, 10 );
		return title ? title.getPrefixedDb() : null;
	}

	// The template a transclusion node calls (first part), as a prefixed db key.
	function calledTemplate( node ) {
		var mwData = node.getAttribute( 'mw' ),
			part = mwData && mwData.parts && mwData.parts[ 0 ],
			href = part && part.template && part.template.target && part.template.target.href;
		return href ? decodeURIComponent( href.replace( /^\.\//, '' ) ) : null;
	}

	function topLevel( node, documentNode ) {
		while ( node.getParent() && node.getParent() !== documentNode ) {
			node = node.getParent();
		}
		return node;
	}

	function headingText( doc, node ) {
		return doc.data.getText( false, node.getRange() ).replace( /\s+/g, ' ' ).trim();
	}

	// After the last entry of the template, if any.
	function afterLastRow( doc, template ) {
		var wanted = templateTitle( template ),
			last = null;
		[ 'mwTransclusionBlock', 'mwTransclusionInline' ].forEach( function ( type ) {
			doc.getNodesByType( type, true ).forEach( function ( node ) {
				if ( calledTemplate( node ) === wanted &&
					( !last || node.getOuterRange().end > last.getOuterRange().end ) ) {
					last = node;
				}
			} );
		} );
		return last ? topLevel( last, doc.getDocumentNode() ).getOuterRange().end : null;
	}

	// After the comment that marks where the list's rows go ("… one {{CoP watch}} per
	// line"), where pages have one: the sections' own markers around it must stay out of
	// the list.
	function afterRowsMarker( doc, template ) {
		var call = '{{' + template + '}}',
			found = null;
		doc.getNodesByType( 'comment', true ).forEach( function ( node ) {
			if ( ( node.getAttribute( 'text' ) || '' ).indexOf( call ) !== -1 ) {
				found = node;
			}
		} );
		return found ? found.getOuterRange().end : null;
	}

	// At the end of the list's section: before the next heading of the same or a higher
	// level after the heading titled `list`.
	function endOfSection( doc, list ) {
		var children = doc.getDocumentNode().getChildren(),
			heading = null,
			i;
		for ( i = 0; list && i < children.length; i++ ) {
			if ( children[ i ].getType() !== 'mwHeading' ) {
				continue;
			}
			if ( heading &&
				children[ i ].getAttribute( 'level' ) <= heading.getAttribute( 'level' ) ) {
				return children[ i ].getOuterRange().start;
			}
			if ( headingText( doc, children[ i ] ) === list ) {
				heading = children[ i ];
			}
		}
		return null;
	}

	// Whether only the ends of nodes lie between `offset` and the end of the page.
	function atEnd( doc, offset ) {
		var end = doc.getDocumentRange().end,
			item;
		for ( ; offset < end; offset++ ) {
			item = doc.data.getData( offset );
			if ( !item || !item.type || item.type.charAt( 0 ) !== '/' ) {
				return false;
			}
		}
		return true;
	}

	// Where the new entry goes: at the end of the list.
	function endOfList( doc, template, list ) {
		var offset = afterLastRow( doc, template );
		if ( offset === null ) {
			offset = afterRowsMarker( doc, template );
		}
		if ( offset === null ) {
			offset = endOfSection( doc, list );
		}
		return offset === null || atEnd( doc, offset ) ? doc.getDocumentRange().end : offset;
	}

	function insertRow( template, list ) {
		var surface = ve.init.target.getSurface(),
			model, doc, offset;
		if ( !surface || surface.getMode() !== 'visual' || surface.isReadOnly() ) {
			return;  // the source mode, or a page the member may not edit
		}
		model = surface.getModel();
		doc = model.getDocument();
		offset = endOfList( doc, template, list );
		if ( offset === doc.getDocumentRange().end ) {
			// An empty paragraph after the entry: without it, Parsoid writes an entry added at
			// the very end of the page on the line of the one before (measured on 1.39 and
			// 1.43). It is saved as nothing (MediaWiki trims the end of a page).
			model.getLinearFragment( new ve.Range( offset ) )
				.insertContent( [ { type: 'paragraph' }, { type: '/paragraph' } ] );
		}
		model.setLinearSelection( new ve.Range( offset ) );
		breakpointWhenFormCloses( surface );
		surface.execute( 'window', 'open', 'transclusion', { template: template } );
	}

	// The entry is in the undo history (a "breakpoint") once its form is closed. VE keeps an
	// auto-save copy of the page in the tab's session storage from the first breakpoint on,
	// and removes it when the editor closes; without a breakpoint of ours, the first one
	// comes from VE's 3-second timer, which keeps running after the editor has closed: a
	// member who inserts the entry and saves within 3 s finds, at the next edit of the page
	// in that tab, the copy written after the save (the page before the entry, under the new
	// revision's number), and VE stops on "Revision IDs returned by the server do not
	// match" (1.43) or offers to recover changes (measured with the browser tests).
	function breakpointWhenFormCloses( surface ) {
		var dialogs = surface.getDialogs();
		function onClosing( win, closed ) {
			if ( win.constructor.static.name !== 'transclusion' ) {
				return;
			}
			dialogs.off( 'closing', onClosing );
			$.when( closed ).then( function () {
				if ( surface.getModel() ) {
					surface.getModel().breakpoint();
				}
			} );
		}
		dialogs.on( 'closing', onClosing );
	}

	// The parameters have done their job: a reload must not add a second entry.
	function forgetParameters() {
		var url = new URL( location.href );
		url.searchParams.delete( TEMPLATE_PARAM );
		url.searchParams.delete( LIST_PARAM );
		history.replaceState( history.state, '', url.toString() );
	}

	// Once the editor is set up and the welcome dialog a first-time user gets is closed
	// (it opens once the editor and its toolbar are ready, on 1.39 and 1.43 alike, and
	// would otherwise take the place of the entry's form).
	function afterStartupDialogs( target, callback ) {
		var setUp = [ target.activatingDeferred, target.toolbarSetupDeferred ].filter( Boolean );
		ve.promiseAll( setUp ).always( function () {
			var welcome = target.welcomeDialogPromise;
			if ( welcome ) {
				welcome.always( callback );
			} else {
				callback();
			}
		} );
	}

	function whenEditorOpens( template, list ) {
		function onActivation() {
			mw.hook( 've.activationComplete' ).remove( onActivation );
			afterStartupDialogs( ve.init.target, function () {
				insertRow( template, list );
			} );
		}
		mw.hook( 've.activationComplete' ).add( onActivation );
	}

	var wanted = mw.util.getParamValue( TEMPLATE_PARAM );
	if ( wanted && mw.util.getParamValue( 'veaction' ) === 'edit' ) {
		whenEditorOpens( wanted, mw.util.getParamValue( LIST_PARAM ) || '' );
	}
	if ( wanted ) {
		// early, before the editor notes the address it goes back to once saved
		forgetParameters();
	}
	mw.hook( 'wikipage.content' ).add( enhanceButtons );
}() );
